#include "resources/haproxy_lb.h"


#include "base/strings.h"
#include "resources/cert_checks.h"
#include "resources/guest.h"
#include "resources/metrics_tls.h"
#include "roles/haproxy.h"
#include "value/accessors.h"

namespace pgha::resources {
namespace {

using value::Attr;
using value::Diagnostics;
using value::GetString;
using value::Path;
using value::Value;

class Haproxy final : public Role {
 public:
  std::string noun() const override { return "load balancer"; }
  health::Service service() const override { return health::Service::kHaproxy; }
  roles::LiveEffect LiveEffect(const std::vector<std::string>& changed) const override {
    return roles::HaproxyLiveEffect(changed);
  }
  // Load balancers are independent of each other: a reload takes none down.
  std::string ClusterKey(const schema::Reader&) const override { return ""; }

  void Validate(const schema::Reader& reader, Diagnostics& diags) const override {
    const Value& config = reader.value();
    const Value& h = Attr(config, "haproxy");
    if (!h.IsKnown()) return;
    // One of postgres_nodes and postgres_domain, name servers with the domain, unique node
    // names: schema rules (schemas/fragments/haproxy_role.json).
    const Value& nodes = h.GetAttr("postgres_nodes");
    if (nodes.IsWhollyKnown() && !nodes.IsNull() && nodes.Elements().empty()) {
      diags.AddError("No PostgreSQL node", "postgres_nodes lists no node.", Path::Of("haproxy").Attr("postgres_nodes"));
    }
    const Value& timeouts = h.GetAttr("timeouts");
    if (timeouts.IsKnown()) {
      for (const char* t : {"connect", "check", "idle"}) {
        const Value& v = timeouts.GetAttr(t);
        if (v.IsKnown() && !roles::IsHaproxyTime(v.AsString())) {
          diags.AddError("Invalid timeout", pgha::StrCat("\"", v.AsString(), "\" is not an HAProxy time such as 5s or 30m."),
                         Path::Of("haproxy").Attr("timeouts").Attr(t));
        }
      }
    }
    // Every port this load balancer binds is its own: 5432 and 8008 (the leader), then the read-only ones.
    std::vector<std::pair<double, std::string>> bound = {{5432, "the leader's port 5432"},
                                                         {8008, "the REST API's port 8008"}};
    for (const char* name : {"replica_port", "sync_standby_port", "metrics_port"}) {
      const Value& port = h.GetAttr(name);
      if (!port.IsKnown() || port.IsNull()) continue;
      for (const auto& [taken, by] : bound) {
        if (port.AsNumber().AsDouble() == taken) {
          diags.AddError("Port already in use", pgha::StrCat(name, " is ", by, "; give it a port of its own."),
                         Path::Of("haproxy").Attr(name));
        }
      }
      bound.emplace_back(port.AsNumber().AsDouble(), name);
    }
    WarnUnlessMetricsTlsCovers(h.GetAttr("metrics_tls"), AdvertisedIp(reader), Path::Of("haproxy").Attr("metrics_tls"),
                               diags);
    WarnUnlessClientAuth(h.GetAttr("patroni_client_cert"),
                         "Patroni's REST API requires a client certificate from the health checks",
                         Path::Of("haproxy").Attr("patroni_client_cert"), diags);
  }

  absl::StatusOr<RoleOutput> Render(const schema::Reader& config) const override {
    const schema::Reader h = config.Object("haproxy");
    roles::LoadBalancer lb;
    for (const auto& n : h.Objects("postgres_nodes")) lb.nodes.push_back({n.String("name"), n.String("ip")});
    lb.domain = h.String("postgres_domain");
    lb.nameservers = h.Strings("postgres_nameserver_ips");
    lb.max_nodes = h.Int("postgres_nodes_max_count");
    lb.patroni_ca_cert = h.String("patroni_ca_cert");
    lb.client_cert = h.String("patroni_client_cert");
    lb.client_key = GuestKeyPem(h.String("patroni_client_key"));
    const schema::Reader timeouts = h.Object("timeouts");
    lb.connect_timeout = timeouts.String("connect");
    lb.check_timeout = timeouts.String("check");
    lb.idle_timeout = timeouts.String("idle");
    lb.replica_port = h.Int("replica_port");  // 0 when unset: no such port
    lb.sync_standby_port = h.Int("sync_standby_port");
    lb.replica_max_lag_bytes = h.Int("replica_max_lag_bytes");
    lb.metrics_port = h.Int("metrics_port");
    lb.metrics_tls = MetricsTlsOf(h.Object("metrics_tls"));
    lb.advertised_ip = AdvertisedIp(config);
    auto pieces = roles::RenderHaproxy(lb);
    if (!pieces.ok()) return pieces.status();
    return RoleOutput{*std::move(pieces), "haproxy", "haproxy.service"};
  }
};

}  // namespace

std::shared_ptr<const Role> HaproxyRole() { return std::make_shared<Haproxy>(); }

}  // namespace pgha::resources
