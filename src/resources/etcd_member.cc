#include "resources/etcd_member.h"


#include "base/strings.h"
#include "resources/cert_checks.h"
#include "roles/etcd.h"
#include "value/accessors.h"

namespace pgha::resources {
namespace {

using value::Attr;
using value::Diagnostics;
using value::Elements;
using value::GetBool;
using value::GetString;
using value::Path;
using value::Value;

class Etcd final : public Role {
 public:
  std::string noun() const override { return "etcd member"; }
  health::Service service() const override { return health::Service::kEtcd; }
  roles::LiveEffect LiveEffect(const std::vector<std::string>& changed) const override {
    return roles::EtcdLiveEffect(changed);
  }
  // An etcd cluster is named by the token its members were created with.
  std::string ClusterKey(const schema::Reader& config) const override {
    return pgha::StrCat("etcd|", config.Object("cluster").String("initial_token"));
  }

  void Validate(const schema::Reader& reader, Diagnostics& diags) const override {
    const Value& config = reader.value();
    const Value& cluster = Attr(config, "cluster");
    const Value& members = Attr(cluster, "initial_members");
    // Unique member and user names are schema rules (unique_by in schemas/fragments/etcd_role.json).
    if (members.IsWhollyKnown() && !members.IsNull()) {
      bool self = false;
      for (size_t i = 0; i < members.Elements().size(); ++i) {
        const std::string name = GetString(members.Elements()[i], "name");
        self |= config.GetAttr("name").IsKnown() && name == config.GetAttr("name").AsString();
      }
      if (config.GetAttr("name").IsKnown() && !self && GetBool(cluster, "is_initializing")) {
        diags.AddError("Member missing from initial_members",
                       "A member of an initializing cluster must list itself in cluster.initial_members, under the "
                       "same name as its `name`.",
                       Path::Of("cluster").Attr("initial_members"));
      }
    }
    const Value& auth = Attr(config, "authentication_bootstrap");
    const bool cert_auth = reader.Object("etcd").Bool("client_cert_auth");
    const schema::Reader auth_reader = reader.Object("authentication_bootstrap");
    const bool bootstrap = auth_reader.Bool("bootstrap");
    if (bootstrap && !cert_auth && auth.GetAttr("root_password").IsNull()) {
      diags.AddError("Root password missing",
                     "With etcd.client_cert_auth = false the bootstrapping member needs "
                     "authentication_bootstrap.root_password for the root user.",
                     Path::Of("authentication_bootstrap").Attr("root_password"));
    }
    // Who bootstraps authentication in a new cluster: its first member, and only it. Every member's
    // resource sees the list, so a cluster where nobody turns authentication on cannot be planned.
    const Value& initializing = cluster.IsKnown() ? cluster.GetAttr("is_initializing") : Value();
    const Value& name = config.GetAttr("name");
    if (initializing.IsKnown() && !initializing.IsNull() && initializing.AsBool() && members.IsWhollyKnown() &&
        !members.IsNull() && !members.Elements().empty() && name.IsKnown() && !name.IsNull() &&
        !config.GetAttr("authentication_bootstrap").IsUnknown()) {
      const bool first = GetString(members.Elements()[0], "name") == name.AsString();
      const bool unauthenticated = auth_reader.Bool("unauthenticated");
      const Path at = Path::Of("authentication_bootstrap").Attr("bootstrap");
      if (first && !bootstrap && !unauthenticated) {
        diags.AddError("No member turns etcd authentication on",
                       "This is the first member of cluster.initial_members, which bootstraps authentication for the "
                       "new cluster: set authentication_bootstrap { bootstrap = true }. Without authentication, any "
                       "client certificate from the CA can write Patroni's dynamic configuration, and through it run "
                       "commands on every PostgreSQL node. To run without it on purpose, set "
                       "authentication_bootstrap { unauthenticated = true }.",
                       at);
      }
      if (!first && bootstrap) {
        diags.AddError("Only the first member bootstraps authentication",
                       pgha::StrCat("Authentication is bootstrapped once, by the first member of cluster.initial_members (\"",
                                    GetString(members.Elements()[0], "name"), "\"); set bootstrap there instead."),
                       at);
      }
      if (bootstrap && unauthenticated) {
        diags.AddError("Conflicting authentication settings",
                       "authentication_bootstrap.bootstrap and .unauthenticated exclude each other.",
                       Path::Of("authentication_bootstrap").Attr("unauthenticated"));
      }
    }
    if (bootstrap && cluster.IsKnown() && cluster.GetAttr("is_initializing").IsKnown() &&
        !GetBool(cluster, "is_initializing")) {
      diags.AddError("Bootstrap on a new cluster only",
                     "Authentication is bootstrapped once, by one member of a cluster being created "
                     "(cluster.is_initializing = true). A member joining an existing cluster finds it already on.",
                     Path::Of("authentication_bootstrap").Attr("bootstrap"));
    }
    // etcdctl 3.4 reads a password from stdin with Scanf("%s"): it would stop at the first space and
    // create the user with a truncated password nobody knows. Passing it in argv instead would show it
    // in the process list, so such a password is refused here.
    const auto refuse_whitespace = [&diags](const Value& password, const Path& at) {
      if (password.IsKnown() && !password.IsNull() &&
          password.AsString().find_first_of(" \t\r\n\v\f") != std::string::npos) {
        diags.AddError("Password holds whitespace",
                       "etcdctl reads a password up to its first whitespace, so this one would be cut short. "
                       "Choose a password without spaces, tabs or newlines.",
                       at);
      }
    };
    if (auth.IsKnown() && !auth.IsNull()) {
      refuse_whitespace(auth.GetAttr("root_password"), Path::Of("authentication_bootstrap").Attr("root_password"));
    }
    const Value& users = Attr(auth, "users");
    if (users.IsKnown() && !users.IsNull()) {
      for (size_t i = 0; i < users.Elements().size(); ++i) {
        const Value& user = users.Elements()[i];
        if (user.IsKnown() && !user.IsNull()) {
          refuse_whitespace(user.GetAttr("password"), Path::Of("authentication_bootstrap").Attr("users")
                                                          .Index(static_cast<int64_t>(i)).Attr("password"));
        }
      }
    }
    if (users.IsWhollyKnown() && !users.IsNull()) {
      for (size_t i = 0; i < users.Elements().size(); ++i) {
        const std::string name = GetString(users.Elements()[i], "name");
        const Path at = Path::Of("authentication_bootstrap").Attr("users").Index(static_cast<int64_t>(i)).Attr("name");
        if (name == "root") {
          diags.AddError("root is created already", "Give root's password in root_password instead.", at);
        } else if (name.find_first_of(" \t\r\n:") != std::string::npos) {
          diags.AddError("Invalid user name", "etcd user names here may not hold spaces or colons.", at);
        }
      }
      if (!bootstrap && !users.Elements().empty()) {
        diags.AddWarning("Users are created by the bootstrapping member only",
                         "authentication_bootstrap.users takes effect where bootstrap = true.",
                         Path::Of("authentication_bootstrap").Attr("users"));
      }
    }
    // The certificate should cover the advertised address and 127.0.0.1 (auth bootstrap dials it).
    const Value& tls = Attr(config, "tls");
    if (tls.IsKnown()) {
      for (const std::string& addr : {AdvertisedIp(reader), std::string("127.0.0.1")}) {
        WarnUnlessCoversIp(tls.GetAttr("server_cert"), addr, "etcd peers and clients",
                           Path::Of("tls").Attr("server_cert"), diags);
      }
      // The member presents this certificate to its peers, which admit only the shared name.
      for (const bool cn : {true, false}) {
        const Value& name = tls.GetAttr(cn ? "peer_allowed_cn" : "peer_allowed_hostname");
        if (!name.IsKnown()) continue;
        ErrorUnlessNamed(tls.GetAttr("server_cert"), name.AsString(), cn,
                         pgha::StrCat("the other members admit only certificates that do (tls.",
                                      cn ? "peer_allowed_cn" : "peer_allowed_hostname", "), so they would refuse this one"),
                         Path::Of("tls").Attr("server_cert"), diags);
      }
    }
  }

  absl::StatusOr<RoleOutput> Render(const schema::Reader& config) const override {
    roles::EtcdMember m;
    m.name = config.String("name");
    m.ip = AdvertisedIp(config);
    const schema::Reader cluster = config.Object("cluster");
    m.is_initializing = cluster.Bool("is_initializing");
    m.initial_token = cluster.String("initial_token");
    for (const auto& member : cluster.Objects("initial_members")) {
      m.initial_members.emplace_back(member.String("name"), member.String("ip"));
    }
    const schema::Reader etcd = config.Object("etcd");
    m.auto_compaction_mode = etcd.String("auto_compaction_mode");
    m.auto_compaction_retention = etcd.String("auto_compaction_retention");
    m.space_quota = etcd.Int("space_quota");
    m.grpc_gateway_enabled = etcd.Bool("grpc_gateway_enabled");
    m.client_cert_auth = etcd.Bool("client_cert_auth");
    const schema::Reader auth = config.Object("authentication_bootstrap");
    m.bootstrap_auth = auth.Bool("bootstrap");
    m.root_password = auth.String("root_password");
    for (const auto& u : auth.Objects("users")) {
      m.users.push_back({u.String("name"), u.String("password"), u.String("key_prefix")});
    }
    const schema::Reader tls = config.Object("tls");
    m.ca_cert = tls.String("ca_cert");
    m.server_cert = tls.String("server_cert");
    m.server_key = GuestKeyPem(tls.String("server_key"));
    m.peer_allowed_cn = tls.String("peer_allowed_cn");
    m.peer_allowed_hostname = tls.String("peer_allowed_hostname");
    auto pieces = roles::RenderEtcd(m);
    if (!pieces.ok()) return pieces.status();
    return RoleOutput{*std::move(pieces), "etcd", "etcd.service"};
  }
};

}  // namespace

std::shared_ptr<const Role> EtcdRole() { return std::make_shared<Etcd>(); }

}  // namespace pgha::resources
