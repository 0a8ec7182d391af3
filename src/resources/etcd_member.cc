#include "resources/etcd_member.h"

#include <algorithm>

#include "agent/agent.h"
#include "agent/libvirt_channel.h"
#include "backup/snapshots.h"
#include "base/crash_point.h"
#include "base/strings.h"
#include "etcd/membership.h"
#include "resources/cert_checks.h"
#include "roles/etcd.h"
#include "roles/pgbackrest.h"
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

using roles::EtcdClientUrl;
using roles::EtcdPeerUrl;

// etcd's `initial-cluster` for the members the user listed (a wholly known list).
std::string InitialClusterOf(const Value& members) {
  std::vector<std::pair<std::string, std::string>> listed;
  for (const Value& m : members.Elements()) listed.emplace_back(GetString(m, "name"), GetString(m, "ip"));
  return roles::EtcdInitialCluster(listed);
}

// Membership changes need etcd's root: a root client certificate, or root's password.
bool HasRootCredential(const schema::Reader& config) {
  return config.Object("root_client").IsSet("cert_pem") || config.Object("authentication_bootstrap").IsSet("root_password");
}

constexpr const char* kNoRootCredential =
    "Adding a member to a running etcd cluster and removing one need etcd's root role. Give root's password in "
    "`authentication_bootstrap.root_password` (the one the bootstrapping member created root with), or a client "
    "certificate whose common name is `root`, signed by the cluster's CA, in `root_client`.";

// A client of the cluster at the members the user listed (`self` too, or not): the member's own
// certificate opens the TLS connection unless a root one is given; a password logs in as root.
etcd::Client ClientOf(const schema::Reader& config, bool self) {
  etcd::Credentials c;
  const schema::Reader tls = config.Object("tls");
  c.ca_pem = tls.String("ca_cert");
  const schema::Reader root = config.Object("root_client");
  c.cert_pem = root.IsSet("cert_pem") ? root.String("cert_pem") : tls.String("server_cert");
  c.key_pem = root.IsSet("cert_pem") ? root.String("key_pem") : tls.String("server_key");
  if (const schema::Reader auth = config.Object("authentication_bootstrap"); auth.IsSet("root_password")) {
    c.user = "root";
    c.password = auth.String("root_password");
  }
  const std::string me = AdvertisedIp(config);
  std::vector<std::string> endpoints;
  for (const auto& m : config.Object("cluster").Objects("initial_members")) {
    if (self || m.String("ip") != me) endpoints.push_back(EtcdClientUrl(m.String("ip")));
  }
  return etcd::Client(std::move(endpoints), std::move(c));
}

class Etcd final : public Role {
 public:
  bool KeepsMembership() const override { return true; }
  std::vector<std::string> ListedMembers(const schema::Reader& state) const override {
    std::vector<std::string> out;
    for (const auto& m : state.Object("cluster").Objects("initial_members")) out.push_back(m.String("name"));
    return out;
  }
  bool Joins(const schema::Reader& planned) const override {
    return !planned.Object("cluster").Bool("is_initializing");
  }

  void PlanMembership(const Value& prior, Value& planned, Diagnostics& diags) const override {
    if (!prior.IsNull() || !planned.type().attributes().contains("initial_cluster")) return;
    const Value initializing = Attr(Attr(planned, "cluster"), "is_initializing");  // a copy: planned changes below
    if (!initializing.IsKnown() || initializing.IsNull()) return;
    planned = planned.WithAttr("initial_cluster_state", Value::String(initializing.AsBool() ? "new" : "existing"));
    if (initializing.AsBool()) {
      // A new cluster: the members the user listed. Later plans keep it (a stable attribute).
      const Value members = Attr(Attr(planned, "cluster"), "initial_members");
      if (members.IsWhollyKnown()) {
        planned = planned.WithAttr("initial_cluster", Value::String(InitialClusterOf(members)));
      }
      return;
    }
    // A member joining: the running cluster gives its member list at apply time.
    const Value cert = Attr(Attr(planned, "root_client"), "cert_pem");
    const Value password = Attr(Attr(planned, "authentication_bootstrap"), "root_password");
    if (cert.IsNull() && password.IsNull()) {  // unknown is not missing: it is known at apply
      diags.AddError("No credential for etcd's root", kNoRootCredential,
                     Path::Of("authentication_bootstrap").Attr("root_password"));
    }
  }

  absl::StatusOr<Value> Join(const schema::Reader& planned, Deadline deadline, const Cancelled& cancelled) const override {
    const schema::Reader cluster = planned.Object("cluster");
    Value out = planned.value().WithAttr("initial_cluster_state",
                                         Value::String(cluster.Bool("is_initializing") ? "new" : "existing"));
    if (cluster.Bool("is_initializing")) {
      return out.WithAttr("initial_cluster", Value::String(InitialClusterOf(Attr(cluster.value(), "initial_members"))));
    }
    if (!HasRootCredential(planned)) return absl::FailedPreconditionError(kNoRootCredential);
    etcd::Client client = ClientOf(planned, /*self=*/false);
    const std::string peer_url = EtcdPeerUrl(AdvertisedIp(planned));
    auto added = etcd::JoinAsLearner(client, peer_url, deadline, cancelled);
    if (!added.ok()) return added.status();
    PGHA_CRASH_POINT("etcd_member.learner_added");
    return out.WithAttr("initial_cluster",
                        Value::String(etcd::InitialCluster(added->members, planned.String("name"), peer_url)));
  }

  absl::Status Admit(const schema::Reader& state, Deadline deadline, const Cancelled& cancelled) const override {
    if (state.Object("cluster").Bool("is_initializing")) return absl::OkStatus();
    etcd::Client client = ClientOf(state, /*self=*/false);
    return etcd::PromoteWhenInSync(client, EtcdPeerUrl(AdvertisedIp(state)), deadline, cancelled);
  }

  absl::Status Leave(const schema::Reader& state, const std::vector<std::string>& leaving, Deadline deadline,
                     const Cancelled& cancelled, const etcd::LeavingService& service) const override {
    etcd::Client client = ClientOf(state, /*self=*/true);
    auto members = client.MemberList();
    if (!members.ok()) return absl::UnavailableError(pgha::StrCat("no member answered: ", members.status().message()));
    const std::string peer_url = EtcdPeerUrl(AdvertisedIp(state));
    const auto me = etcd::FindByPeerUrl(*members, peer_url);
    if (!me) return absl::OkStatus();  // gone already (a retry)
    const bool everyone_leaves = std::all_of(members->begin(), members->end(), [&](const etcd::Member& m) {
      return m.id == me->id || std::find(leaving.begin(), leaving.end(), m.name) != leaving.end();
    });
    if (everyone_leaves) return absl::OkStatus();  // the whole cluster goes: nothing to keep a quorum for
    if (!HasRootCredential(state)) return absl::FailedPreconditionError(kNoRootCredential);
    return etcd::LeaveSafely(client, peer_url, deadline, cancelled, service);
  }

  // A removed member's data names it: etcd would refuse to start from it again. Kept aside, not
  // deleted, in case someone needs what was in it. A VM booted again from this disk (a -replace)
  // starts etcd with the old configuration before cloud-init writes the new one; a founding
  // member's says `new` and would found a cluster of its own (seen on VMs), so from now on it
  // says `existing`: with no data, etcd joins as the learner pgha added for the new member.
  std::vector<std::vector<std::string>> RetireCommands() const override {
    return {{"/bin/systemctl", "stop", "etcd"},
            {"/bin/sh", "-c", "d=/var/lib/etcd/pgha; [ ! -d \"$d\" ] || mv \"$d\" \"$d.removed-$(date +%s)\""},
            {"/bin/sh", "-c",
             "f=/etc/etcd/pgha.yml; [ ! -f \"$f\" ] || "
             "sed -i 's/^initial-cluster-state: \"new\"$/initial-cluster-state: \"existing\"/' \"$f\""}};
  }

  absl::Status CheckLeaving(const std::vector<std::string>& members,
                            const std::vector<std::string>& leaving) const override {
    const auto removing = static_cast<int>(std::count_if(members.begin(), members.end(), [&](const std::string& m) {
      return std::find(leaving.begin(), leaving.end(), m) != leaving.end();
    }));
    const int voters = static_cast<int>(members.size());
    if (removing == voters || etcd::KeepsQuorum(voters, removing)) return absl::OkStatus();  // all: a destroy
    const int quorum = etcd::Quorum(voters);
    return absl::FailedPreconditionError(pgha::StrCat(
        "this plan removes ", removing, " of the etcd cluster's ", voters, " members and keeps ", voters - removing,
        ", fewer than its quorum of ", quorum, ". Remove them in separate applies, one at a time: each step keeps a "
        "quorum. Nothing was changed"));
  }

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
    const Value& snapshots = Attr(config, "snapshots");
    const Value& restore = Attr(snapshots, "restore");
    const bool restoring = restore.IsKnown() && !restore.IsNull();
    ValidateSnapshots(snapshots, restore, cluster, bootstrap, diags);
    // A restored cluster's authentication comes from its snapshot.
    if (!restoring && initializing.IsKnown() && !initializing.IsNull() && initializing.AsBool() &&
        members.IsWhollyKnown() && !members.IsNull() && !members.Elements().empty() && name.IsKnown() &&
        !name.IsNull() && !config.GetAttr("authentication_bootstrap").IsUnknown()) {
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
    // etcd refuses to start with an election timeout under five heartbeats.
    const Value& etcd_block = Attr(config, "etcd");
    const Value& heartbeat = Attr(etcd_block, "heartbeat_interval");
    const Value& election = Attr(etcd_block, "election_timeout");
    if (heartbeat.IsKnown() && election.IsKnown() &&
        reader.Object("etcd").Int("election_timeout") < 5 * reader.Object("etcd").Int("heartbeat_interval")) {
      diags.AddError("Election timeout too short",
                     "etcd requires etcd.election_timeout to be at least five times etcd.heartbeat_interval.",
                     Path::Of("etcd").Attr("election_timeout"));
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

  // A restore makes a new cluster whose users come from the snapshot, and stores its own snapshots apart.
  static void ValidateSnapshots(const Value& snapshots, const Value& restore, const Value& cluster, bool bootstrap,
                                Diagnostics& diags) {
    if (!snapshots.IsKnown() || snapshots.IsNull()) return;
    const Path at = Path::Of("snapshots");
    const Value& schedule = snapshots.GetAttr("schedule");
    if (schedule.IsKnown() && !schedule.IsNull() && !roles::IsCalendarExpression(schedule.AsString())) {
      diags.AddError("Invalid snapshot schedule",
                     "snapshots.schedule is a systemd calendar expression (OnCalendar=), e.g. \"hourly\" or "
                     "\"*-*-* 00/6:00:00\".",
                     at.Attr("schedule"));
    }
    if (!restore.IsKnown() || restore.IsNull()) return;
    const Path r = at.Attr("restore");
    const Value& snapshot = restore.GetAttr("snapshot");
    if (snapshot.IsKnown() && !snapshot.IsNull() && !roles::IsSnapshotName(snapshot.AsString())) {
      diags.AddError("Invalid snapshot name",
                     pgha::StrCat("\"", snapshot.AsString(), "\" is not a snapshot's name as the store gives it, "
                                  "e.g. 20261204T083000Z-r1234.db (when it was taken, UTC, and etcd's revision)."),
                     r.Attr("snapshot"));
    }
    const Value& source = restore.GetAttr("cluster");
    const Value& own = snapshots.GetAttr("cluster");
    if (source.IsKnown() && own.IsKnown() && !source.IsNull() && !own.IsNull() && source.AsString() == own.AsString()) {
      diags.AddError("The restored cluster would store its snapshots with its source's",
                     pgha::StrCat("snapshots.restore.cluster and snapshots.cluster are both \"", source.AsString(),
                                  "\". Give the new cluster a name of its own in snapshots.cluster."),
                     at.Attr("cluster"));
    }
    const Value& initializing = cluster.IsKnown() ? cluster.GetAttr("is_initializing") : Value();
    if (initializing.IsKnown() && !initializing.IsNull() && !initializing.AsBool()) {
      diags.AddError("A restore makes a new cluster",
                     "A member restored from a snapshot starts a new cluster with the others that restore the same "
                     "snapshot: set cluster.is_initializing = true. A member joining a running cluster gets its data "
                     "from the cluster.",
                     r);
    }
    if (bootstrap) {
      diags.AddError("A restored cluster's users come from its snapshot",
                     "The snapshot holds the users, roles and authentication state of the cluster it was taken from: "
                     "set authentication_bootstrap.bootstrap = false on every member of the restored cluster.",
                     Path::Of("authentication_bootstrap").Attr("bootstrap"));
    }
  }

  // A restored cluster's member: the snapshot it names must be in the repository's store, asked on
  // the repository VM (through its guest agent) before this VM is made.
  void Preflight(const schema::Reader& planned, const std::string& uri, std::time_t /*now*/,
                 const Cancelled& cancelled, Diagnostics& diags) const override {
    const schema::Reader snapshots = planned.Object("snapshots");
    if (!snapshots.present()) return;
    const schema::Reader restore = snapshots.Object("restore");
    if (!restore.present()) return;
    const std::string repository = snapshots.String("repository_name");
    const std::string cluster = restore.String("cluster");
    const std::string snapshot = restore.String("snapshot");
    const Path at = Path::Of("snapshots").Attr("restore");
    agent::LibvirtChannel channel(uri, "", repository);
    agent::GuestAgent agent(channel, cancelled);
    auto listing = backup::ListSnapshots(agent, roles::kSnapshotStorePath, cluster);
    if (listing.ok()) std::erase_if(listing->names, [](const std::string& n) { return !roles::IsSnapshotName(n); });
    if (listing.ok() && !listing->cluster_known) {
      diags.AddError("Unknown etcd cluster",
                     pgha::StrCat("Nothing was created: the repository ", repository, " holds no snapshots of \"",
                                  cluster, "\" (no etcd_cluster of that name has stored one)."),
                     at.Attr("cluster"));
    } else if (listing.ok() &&
               std::find(listing->names.begin(), listing->names.end(), snapshot) == listing->names.end()) {
      diags.AddError("Unknown snapshot",
                     pgha::StrCat("Nothing was created: the repository ", repository, " holds no snapshot \"",
                                  snapshot, "\" of ", cluster, ".",
                                  listing->names.empty() ? " It holds none."
                                                         : pgha::StrCat(" The newest is \"", listing->names.back(),
                                                                        "\" (of ", listing->names.size(), ").")),
                     at.Attr("snapshot"));
    } else if (absl::IsNotFound(listing.status())) {
      diags.AddWarning("The snapshot was not checked",
                       pgha::StrCat("No VM named ", repository, " on ", uri, " (", listing.status().message(),
                                    "): a repository pgha does not run is not asked what it holds. If the snapshot "
                                    "is not there, this member's cloud-init fails before etcd starts."),
                       Path::Of("snapshots").Attr("repository_name"));
    } else if (!listing.ok()) {
      diags.AddError("Cannot reach the backup repository",
                     pgha::StrCat("Nothing was created: the snapshot could not be looked up on ", repository, ": ",
                                  listing.status().message()),
                     Path::Of("snapshots").Attr("repository_name"));
    }
  }

  absl::StatusOr<RoleOutput> Render(const schema::Reader& config) const override {
    roles::EtcdMember m;
    m.name = config.String("name");
    m.ip = AdvertisedIp(config);
    const schema::Reader cluster = config.Object("cluster");
    m.is_initializing = cluster.Bool("is_initializing");
    m.initial_token = cluster.String("initial_token");
    if (config.Has("initial_cluster")) m.initial_cluster = config.String("initial_cluster");
    // What the member was created as, once recorded: later flips of is_initializing change nothing.
    if (config.Has("initial_cluster_state") && config.IsSet("initial_cluster_state")) {
      m.is_initializing = config.String("initial_cluster_state") == "new";
    }
    for (const auto& member : cluster.Objects("initial_members")) {
      m.initial_members.emplace_back(member.String("name"), member.String("ip"));
    }
    const schema::Reader etcd = config.Object("etcd");
    m.auto_compaction_mode = etcd.String("auto_compaction_mode");
    m.auto_compaction_retention = etcd.String("auto_compaction_retention");
    m.space_quota = etcd.Int("space_quota");
    m.heartbeat_interval_ms = etcd.Int("heartbeat_interval");
    m.election_timeout_ms = etcd.Int("election_timeout");
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
    if (const schema::Reader snapshots = config.Object("snapshots"); snapshots.present()) {
      roles::MemberSnapshots out;
      out.repository_name = snapshots.String("repository_name");
      out.repository_address = snapshots.String("repository_address");
      out.repository_port = snapshots.Int("repository_port");
      out.cluster = snapshots.String("cluster");
      out.schedule = snapshots.String("schedule");
      out.root_cert = snapshots.String("root_cert");
      out.root_key = GuestKeyPem(snapshots.String("root_key"));
      if (const schema::Reader restore = snapshots.Object("restore"); restore.present()) {
        out.restore = roles::SnapshotRestore{restore.String("cluster"), restore.String("snapshot")};
      }
      m.snapshots = std::move(out);
    }
    auto pieces = roles::RenderEtcd(m);
    if (!pieces.ok()) return pieces.status();
    return RoleOutput{*std::move(pieces), "etcd", "etcd.service"};
  }
};

}  // namespace

std::shared_ptr<const Role> EtcdRole() { return std::make_shared<Etcd>(); }

}  // namespace pgha::resources
