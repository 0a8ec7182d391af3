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
using value::GetString;
using value::Path;
using value::Value;

class Haproxy final : public Role {
 public:
  std::string noun() const override { return "load balancer"; }

  void Validate(const schema::Reader& reader, Diagnostics& diags) const override {
    const Value& config = reader.value();
    const Value& h = Attr(config, "haproxy");
    if (!h.IsKnown()) return;
    const Value& nodes = h.GetAttr("postgres_nodes");
    const Value& domain = h.GetAttr("postgres_domain");
    const Value& nameservers = h.GetAttr("postgres_nameserver_ips");
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
    auto pieces = roles::RenderHaproxy(lb);
    if (!pieces.ok()) return pieces.status();
    return RoleOutput{*std::move(pieces), "haproxy", "haproxy.service"};
  }
};

}  // namespace

std::shared_ptr<const Role> HaproxyRole() { return std::make_shared<Haproxy>(); }

}  // namespace pgha::resources
