#include "resources/haproxy_lb.h"

#include <set>

#include "base/strings.h"
#include "resources/cert_checks.h"
#include "roles/haproxy.h"
#include "value/accessors.h"

namespace pgha::resources {
namespace {

using value::Attr;
using value::Diagnostics;
using value::Elements;
using value::GetInt;
using value::GetString;
using value::GetStrings;
using value::Path;
using value::Value;

class Haproxy final : public Role {
 public:
  std::string noun() const override { return "load balancer"; }

  void Validate(const Value& config, Diagnostics& diags) const override {
    const Value& h = Attr(config, "haproxy");
    if (!h.IsKnown()) return;
    const Value& nodes = h.GetAttr("postgres_nodes");
    const Value& domain = h.GetAttr("postgres_domain");
    const Value& nameservers = h.GetAttr("postgres_nameserver_ips");
    if (nodes.IsKnown() == domain.IsKnown() && !nodes.IsUnknown() && !domain.IsUnknown()) {
      diags.AddError("Give postgres_nodes or postgres_domain",
                     "The load balancer finds the PostgreSQL nodes either in the postgres_nodes list or by resolving "
                     "postgres_domain, not both and not neither.",
                     Path::Of("haproxy").Attr("postgres_nodes"));
    }
    if (domain.IsKnown() && nameservers.IsNull()) {
      diags.AddError("No name server", "postgres_domain needs postgres_nameserver_ips to resolve it.",
                     Path::Of("haproxy").Attr("postgres_nameserver_ips"));
    }
    if (nodes.IsWhollyKnown() && !nodes.IsNull()) {
      std::set<std::string> names;
      if (nodes.Elements().empty()) {
        diags.AddError("No PostgreSQL node", "postgres_nodes lists no node.", Path::Of("haproxy").Attr("postgres_nodes"));
      }
      for (size_t i = 0; i < nodes.Elements().size(); ++i) {
        const std::string name = GetString(nodes.Elements()[i], "name");
        if (!names.insert(name).second) {
          diags.AddError("Duplicate node name", pgha::StrCat("\"", name, "\" appears twice in postgres_nodes."),
                         Path::Of("haproxy").Attr("postgres_nodes").Index(static_cast<int64_t>(i)).Attr("name"));
        }
      }
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
    WarnUnlessClientAuth(h.GetAttr("patroni_client_cert"),
                         "Patroni's REST API requires a client certificate from the health checks",
                         Path::Of("haproxy").Attr("patroni_client_cert"), diags);
  }

  absl::StatusOr<RoleOutput> Render(const Value& config) const override {
    const Value& h = Attr(config, "haproxy");
    roles::LoadBalancer lb;
    for (const auto& n : Elements(h, "postgres_nodes")) lb.nodes.push_back({GetString(n, "name"), GetString(n, "ip")});
    lb.domain = GetString(h, "postgres_domain");
    lb.nameservers = GetStrings(h, "postgres_nameserver_ips");
    lb.max_nodes = GetInt(h, "postgres_nodes_max_count", 3);
    lb.patroni_ca_cert = GetString(h, "patroni_ca_cert");
    lb.client_cert = GetString(h, "patroni_client_cert");
    lb.client_key = GuestKeyPem(h, "patroni_client_key");
    const Value& timeouts = Attr(h, "timeouts");
    lb.connect_timeout = GetString(timeouts, "connect", "5s");
    lb.check_timeout = GetString(timeouts, "check", "5s");
    lb.idle_timeout = GetString(timeouts, "idle", "30m");
    auto pieces = roles::RenderHaproxy(lb);
    if (!pieces.ok()) return pieces.status();
    return RoleOutput{*std::move(pieces), "haproxy", "haproxy.service"};
  }
};

}  // namespace

std::shared_ptr<const Role> HaproxyRole() { return std::make_shared<Haproxy>(); }

}  // namespace pgha::resources
