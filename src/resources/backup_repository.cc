#include "resources/backup_repository.h"

#include <set>

#include "base/strings.h"
#include "resources/cert_checks.h"
#include "resources/guest.h"
#include "roles/pgbackrest.h"

namespace pgha::resources {
namespace {

using value::Diagnostics;
using value::Path;
using value::Value;

class BackupRepository final : public Role {
 public:
  std::string noun() const override { return "backup repository"; }
  health::Service service() const override { return health::Service::kPgbackrest; }
  roles::LiveEffect LiveEffect(const std::vector<std::string>& changed) const override {
    return roles::BackupRepositoryLiveEffect(changed);
  }
  // Repositories are independent of each other.
  std::string ClusterKey(const schema::Reader&) const override { return ""; }

  void Validate(const schema::Reader& reader, Diagnostics& diags) const override {
    const Value& repository = reader.value().GetAttr("repository");
    if (!repository.IsKnown()) return;
    const Value& stanzas = repository.GetAttr("stanza");
    if (!stanzas.IsWhollyKnown() || stanzas.IsNull()) return;
    std::set<std::string> names;
    for (size_t i = 0; i < stanzas.Elements().size(); ++i) {
      const Value& stanza = stanzas.Elements()[i];
      const Path here = Path::Of("repository").Attr("stanza").Index(static_cast<int64_t>(i));
      const Value& name = stanza.GetAttr("name");
      if (name.IsKnown() && !names.insert(name.AsString()).second) {
        diags.AddError("Duplicate stanza", pgha::StrCat("Another stanza is already named \"", name.AsString(), "\"."),
                       here.Attr("name"));
      }
      for (const char* list : {"postgres_nodes", "client_cns"}) {
        const Value& v = stanza.GetAttr(list);
        if (v.IsKnown() && !v.IsNull() && v.Elements().empty()) {
          diags.AddError("Empty list", pgha::StrCat(list, " names nothing: the stanza would have no node."),
                         here.Attr(list));
        }
      }
      const Value& cns = stanza.GetAttr("client_cns");
      if (cns.IsWhollyKnown() && !cns.IsNull()) {
        for (const auto& cn : cns.Elements()) {
          if (cn.AsString().find_first_of("=,") != std::string::npos) {
            diags.AddError("Invalid CN", pgha::StrCat("\"", cn.AsString(), "\" holds '=' or ',', which pgBackRest's "
                                                      "tls-server-auth cannot take."),
                           here.Attr("client_cns"));
          }
        }
      }
      const Value& source = stanza.GetAttr("restores_from");
      if (name.IsKnown() && source.IsKnown() && !source.IsNull() && source.AsString() == name.AsString()) {
        diags.AddError("A stanza restores from itself",
                       pgha::StrCat("restores_from names the stanza \"", name.AsString(), "\" itself; it names the "
                                    "stanza the cluster was restored from (its nodes' restore.stanza)."),
                       here.Attr("restores_from"));
      }
      for (const char* schedule : {"full_schedule", "diff_schedule"}) {
        const Value& v = stanza.GetAttr(schedule);
        if (v.IsKnown() && !v.IsNull() && !roles::IsCalendarExpression(v.AsString())) {
          diags.AddError("Invalid schedule",
                         pgha::StrCat("\"", v.AsString(), "\" is not a systemd calendar expression such as "
                                      "\"Sun *-*-* 01:00:00\" or \"daily\"."),
                         here.Attr(schedule));
        }
      }
    }
    ValidateEtcdClusters(repository, diags);
    const Value& passphrase = repository.GetAttr("cipher_passphrase");
    if (passphrase.IsKnown() && !passphrase.IsNull() &&
        !roles::CheckIniValue("cipher_passphrase", passphrase.AsString()).ok()) {
      // The value stays out of the message: it is a secret.
      diags.AddError("Invalid passphrase", "cipher_passphrase may not begin or end with a space or hold a control "
                                           "character.",
                     Path::Of("repository").Attr("cipher_passphrase"));
    }
    WarnUnlessClientAuth(repository.GetAttr("server_cert"),
                         "the repository connects to the nodes' pgBackRest servers with this certificate",
                         Path::Of("repository").Attr("server_cert"), diags);
  }

  static void ValidateEtcdClusters(const Value& repository, Diagnostics& diags) {
    const Value& clusters = repository.GetAttr("etcd_cluster");
    if (!clusters.IsWhollyKnown() || clusters.IsNull()) return;
    std::set<std::string> names;
    for (size_t i = 0; i < clusters.Elements().size(); ++i) {
      const Value& cluster = clusters.Elements()[i];
      const Path here = Path::Of("repository").Attr("etcd_cluster").Index(static_cast<int64_t>(i));
      const std::string name = cluster.GetAttr("name").AsString();
      if (!names.insert(name).second) {
        diags.AddError("Duplicate etcd cluster", pgha::StrCat("Another etcd_cluster is already named \"", name, "\"."),
                       here.Attr("name"));
      }
      if (cluster.GetAttr("client_cns").Elements().empty()) {
        diags.AddError("Empty list", "client_cns names nothing: no member could store a snapshot.",
                       here.Attr("client_cns"));
      }
      const Value& source = cluster.GetAttr("restores_from");
      if (!source.IsNull() && source.AsString() == name) {
        diags.AddError("A cluster restores from itself",
                       pgha::StrCat("restores_from names the etcd cluster \"", name, "\" itself; it names the "
                                    "cluster this one was restored from (its members' snapshots.restore.cluster)."),
                       here.Attr("restores_from"));
      }
    }
    const Value& port = repository.GetAttr("snapshot_port");
    const Value& pgbackrest_port = repository.GetAttr("port");
    if (!clusters.Elements().empty() && port.IsKnown() && pgbackrest_port.IsKnown() && !port.IsNull() &&
        !pgbackrest_port.IsNull() && port == pgbackrest_port) {
      diags.AddError("Port taken", "snapshot_port and port are the same: the snapshot store and pgBackRest's server "
                                   "each need a port of their own.",
                     Path::Of("repository").Attr("snapshot_port"));
    }
  }

  absl::StatusOr<RoleOutput> Render(const schema::Reader& config) const override {
    const schema::Reader r = config.Object("repository");
    roles::BackupRepository repository;
    repository.address = AdvertisedIp(config);
    repository.port = r.Int("port");
    repository.ca_cert = r.String("ca_cert");
    repository.server_cert = r.String("server_cert");
    repository.server_key = GuestKeyPem(r.String("server_key"));
    repository.cipher_passphrase = r.String("cipher_passphrase");
    for (const auto& s : r.Objects("stanza")) {
      std::vector<roles::HostEntry> nodes;
      for (const auto& node : s.Objects("postgres_nodes")) nodes.push_back({node.String("ip"), node.String("name")});
      repository.stanzas.push_back({s.String("name"), std::move(nodes), s.Strings("client_cns"),
                                    s.Int("retention_full"), s.Int("retention_diff"), s.String("full_schedule"),
                                    s.String("diff_schedule"), s.String("compress_type"), s.String("restores_from")});
    }
    repository.snapshot_port = r.Int("snapshot_port");
    for (const auto& c : r.Objects("etcd_cluster")) {
      repository.etcd_clusters.push_back(
          {c.String("name"), c.Strings("client_cns"), c.Int("retention"), c.String("restores_from")});
    }
    auto pieces = roles::RenderBackupRepository(repository);
    if (!pieces.ok()) return pieces.status();
    return RoleOutput{*std::move(pieces), "pgbackrest", "pgbackrest.service"};
  }
};

}  // namespace

std::shared_ptr<const Role> BackupRepositoryRole() { return std::make_shared<BackupRepository>(); }

}  // namespace pgha::resources
