#include "roles/etcd_snapshots.h"

#include <algorithm>
#include <map>
#include <regex>

#include "base/strings.h"
#include "cloudinit/line_template.h"
#include "cloudinit/yaml_template.h"
#include "roles/pgbackrest.h"

namespace pgha::roles {
namespace {

using cloudinit::kOmit;
using cloudinit::TemplateValue;

absl::StatusOr<std::string> Embedded(std::string_view path) {
  auto text = cloudinit::EmbeddedTemplate(path);
  if (!text.ok()) return text.status();
  return std::string(*text);
}

}  // namespace

bool IsSnapshotName(const std::string& name) {
  static const std::regex kName(R"(^[0-9]{8}T[0-9]{6}Z-r[0-9]{1,20}\.db$)");
  return std::regex_match(name, kName);
}

absl::Status AddSnapshotStore(const std::string& address, int64_t port, const std::vector<SnapshotCluster>& clusters,
                              RolePieces& out) {
  if (clusters.empty()) return absl::OkStatus();
  if (auto st = CheckToken("advertised address", address); !st.ok()) return st;
  // A restored cluster's CNs read their source: the source's readers.
  std::map<std::string, std::vector<std::string>> readers;
  for (const auto& c : clusters) {
    if (auto st = CheckToken("etcd cluster name", c.name); !st.ok()) return st;
    if (c.restores_from.empty()) continue;
    if (auto st = CheckToken("restores_from", c.restores_from); !st.ok()) return st;
    auto& list = readers[c.restores_from];
    for (const auto& cn : c.client_cns) {
      if (std::find(list.begin(), list.end(), cn) == list.end()) list.push_back(cn);
    }
  }
  auto store_tmpl = cloudinit::EmbeddedTemplate("etcd_snapshots/store.yml");
  if (!store_tmpl.ok()) return store_tmpl.status();
  auto store = cloudinit::RenderYamlTemplate(*store_tmpl, {{"address", address}, {"port", port}});
  if (!store.ok()) return store.status();
  auto cluster_tmpl = cloudinit::EmbeddedTemplate("etcd_snapshots/store-cluster.yml");
  if (!cluster_tmpl.ok()) return cluster_tmpl.status();
  auto server = Embedded("etcd_snapshots/pgha-snapshot-store");
  if (!server.ok()) return server.status();
  auto unit = Embedded("etcd_snapshots/pgha-snapshot-store.service");
  if (!unit.ok()) return unit.status();
  out.files.push_back({"/usr/local/sbin/pgha-snapshot-store", *server, "root:root", "0755", false});
  out.files.push_back({"/etc/systemd/system/pgha-snapshot-store.service", *unit, "root:root", "0644", false});
  out.files.push_back({"/etc/pgha/snapshot-store.yml", *store, "root:root", "0644", false});
  for (const auto& c : clusters) {
    if (c.client_cns.empty()) {
      return absl::InvalidArgumentError(pgha::StrCat("etcd cluster ", c.name, " has no client CN"));
    }
    auto file = cloudinit::RenderYamlTemplate(*cluster_tmpl, {{"name", c.name},
                                                              {"writers", c.client_cns},
                                                              {"readers", readers[c.name]},
                                                              {"retention", c.retention}});
    if (!file.ok()) return file.status();
    out.files.push_back({pgha::StrCat("/etc/pgha/snapshot-store/", c.name, ".yml"), *file, "root:root", "0644", false});
  }
  // After pgBackRest's own start (the repository directory is postgres's by then).
  out.runcmd.push_back({"install", "-d", "-o", "postgres", "-g", "postgres", "-m", "0750", kSnapshotStorePath});
  out.runcmd.push_back({"systemctl", "daemon-reload"});
  out.runcmd.push_back({"systemctl", "enable", "pgha-snapshot-store"});
  out.runcmd.push_back({"systemctl", "restart", "pgha-snapshot-store"});
  return absl::OkStatus();
}

absl::StatusOr<MemberSnapshotPieces> RenderMemberSnapshots(const MemberSnapshots& s) {
  if (auto st = CheckToken("snapshot cluster name", s.cluster); !st.ok()) return st;
  if (!IsCalendarExpression(s.schedule)) {
    return absl::InvalidArgumentError("the snapshot schedule is not a systemd calendar expression");
  }
  if (s.restore && !IsSnapshotName(s.restore->snapshot)) {
    return absl::InvalidArgumentError(pgha::StrCat("\"", s.restore->snapshot, "\" is not a snapshot name"));
  }
  auto config_tmpl = cloudinit::EmbeddedTemplate("etcd_snapshots/member.yml");
  if (!config_tmpl.ok()) return config_tmpl.status();
  auto config = cloudinit::RenderYamlTemplate(
      *config_tmpl,
      {{"repository_name", s.repository_name},
       {"repository_address", s.repository_address},
       {"repository_port", s.repository_port},
       {"cluster", s.cluster},
       {"restore_cluster", s.restore ? TemplateValue(s.restore->cluster) : TemplateValue(kOmit)},
       {"restore_snapshot", s.restore ? TemplateValue(s.restore->snapshot) : TemplateValue(kOmit)}});
  if (!config.ok()) return config.status();
  auto job = Embedded("etcd_snapshots/pgha-etcd-snapshot");
  if (!job.ok()) return job.status();
  auto service = Embedded("etcd_snapshots/pgha-etcd-snapshot.service");
  if (!service.ok()) return service.status();
  auto timer = cloudinit::RenderEmbeddedLineTemplate("etcd_snapshots/pgha-etcd-snapshot.timer",
                                                     {{"schedule", s.schedule}});
  if (!timer.ok()) return timer.status();

  MemberSnapshotPieces out;
  out.pieces.files = {
      {"/usr/local/sbin/pgha-etcd-snapshot", *job, "root:root", "0755", false},
      {"/etc/pgha/etcd-snapshot.yml", *config, "root:root", "0644", false},
      {"/etc/pgha/etcd-snapshot/root.crt", s.root_cert, "root:root", "0644", false},
      {"/etc/pgha/etcd-snapshot/root.key", s.root_key, "root:root", "0600", false},
      {"/etc/systemd/system/pgha-etcd-snapshot.service", *service, "root:root", "0644", false},
      {"/etc/systemd/system/pgha-etcd-snapshot.timer", *timer, "root:root", "0644", false},
  };
  out.pieces.runcmd = {{"systemctl", "enable", "--now", "pgha-etcd-snapshot.timer"}};
  if (s.restore) out.restore_step = {"/usr/local/sbin/pgha-etcd-snapshot", "restore"};
  return out;
}

}  // namespace pgha::roles
