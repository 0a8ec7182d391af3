#include "roles/etcd.h"

#include "base/strings.h"
#include "cloudinit/yaml_template.h"

namespace pgha::roles {
namespace {

using cloudinit::kOmit;
using cloudinit::TemplateValue;

std::string Url(const std::string& ip, int port) { return pgha::StrCat("https://", HostPort(ip, port)); }

}  // namespace

std::string EtcdPeerUrl(const std::string& ip) { return Url(ip, 2380); }
std::string EtcdClientUrl(const std::string& ip) { return Url(ip, 2379); }

std::string EtcdInitialCluster(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out;
  for (const auto& [name, ip] : members) out += pgha::StrCat(out.empty() ? "" : ",", name, "=", EtcdPeerUrl(ip));
  return out;
}

absl::StatusOr<RolePieces> RenderEtcd(const EtcdMember& m) {
  // etcd refuses both at once; with neither, any certificate from the CA could speak Raft.
  if (m.peer_allowed_cn.empty() == m.peer_allowed_hostname.empty()) {
    return absl::InvalidArgumentError("exactly one of the peer's allowed CN and hostname is needed");
  }
  const std::string initial_cluster = m.initial_cluster.empty() ? EtcdInitialCluster(m.initial_members) : m.initial_cluster;
  auto tmpl = cloudinit::EmbeddedTemplate("etcd/etcd.yml");
  if (!tmpl.ok()) return tmpl.status();
  auto config = cloudinit::RenderYamlTemplate(
      *tmpl, {
                 {"name", m.name},
                 {"listen_peer_urls", EtcdPeerUrl(m.ip)},
                 {"listen_client_urls", pgha::StrCat(EtcdClientUrl(m.ip), ",https://127.0.0.1:2379")},
                 {"advertise_peer_urls", EtcdPeerUrl(m.ip)},
                 {"advertise_client_urls", EtcdClientUrl(m.ip)},
                 {"initial_cluster", initial_cluster},
                 {"initial_cluster_token", m.initial_token},
                 {"initial_cluster_state", std::string(m.is_initializing ? "new" : "existing")},
                 {"auto_compaction_mode", m.auto_compaction_mode},
                 {"auto_compaction_retention", m.auto_compaction_retention},
                 {"quota_backend_bytes", m.space_quota},
                 {"heartbeat_interval", m.heartbeat_interval_ms},
                 {"election_timeout", m.election_timeout_ms},
                 {"enable_grpc_gateway", m.grpc_gateway_enabled},
                 {"client_cert_auth", m.client_cert_auth},
                 {"peer_allowed_cn", m.peer_allowed_cn.empty() ? TemplateValue(kOmit) : TemplateValue(m.peer_allowed_cn)},
                 {"peer_allowed_hostname",
                  m.peer_allowed_hostname.empty() ? TemplateValue(kOmit) : TemplateValue(m.peer_allowed_hostname)},
             });
  if (!config.ok()) return config.status();
  auto dropin = cloudinit::EmbeddedTemplate("etcd/etcd.service.d-pgha.conf");
  if (!dropin.ok()) return dropin.status();

  RolePieces out;
  out.data_path = "/var/lib/etcd";
  out.packages = {"etcd-server", "etcd-client"};
  // The etcd user exists once the package is installed: these are written late (defer).
  out.files = {
      {"/etc/etcd/tls/ca.crt", m.ca_cert, "root:root", "0644", false},
      {"/etc/etcd/tls/server.crt", m.server_cert, "root:root", "0644", false},
      {"/etc/etcd/tls/server.key", m.server_key, "etcd:etcd", "0600", true},
      {"/etc/etcd/pgha.yml", *config, "root:etcd", "0640", true},
      {"/etc/systemd/system/etcd.service.d/pgha.conf", std::string(*dropin), "root:root", "0644", false},
  };
  out.runcmd = {
      {"chown", "-R", "etcd:etcd", "/var/lib/etcd"},
      {"systemctl", "daemon-reload"},
      {"systemctl", "enable", "etcd"},
      {"systemctl", "restart", "etcd"},
  };
  if (m.bootstrap_auth) {
    auto script = cloudinit::EmbeddedTemplate("etcd/bootstrap-auth.sh");
    if (!script.ok()) return script.status();
    out.files.push_back({"/usr/local/sbin/pgha-etcd-bootstrap-auth", std::string(*script), "root:root", "0700", false});
    out.files.push_back({"/etc/etcd/pgha-auth/root.env", pgha::StrCat("ROOT_PASSWORD=", ShellQuote(m.root_password), "\n"),
                         "root:root", "0600", false});
    // One file per user: NAME, PASSWORD and PREFIX as shell-quoted assignments.
    for (size_t i = 0; i < m.users.size(); ++i) {
      const EtcdUser& u = m.users[i];
      if (auto st = CheckToken("etcd user name", u.name); !st.ok()) return st;
      out.files.push_back({pgha::StrCat("/etc/etcd/pgha-auth/user-", i, ".env"),
                           pgha::StrCat("NAME=", ShellQuote(u.name), "\nPASSWORD=", ShellQuote(u.password),
                                        "\nPREFIX=", ShellQuote(u.key_prefix), "\n"),
                           "root:root", "0600", false});
    }
    out.runcmd.push_back({"/usr/local/sbin/pgha-etcd-bootstrap-auth"});
  }
  if (m.snapshots) {
    if (m.snapshots->restore && (!m.is_initializing || m.bootstrap_auth)) {
      // A snapshot holds the users, roles and authentication state of the cluster it came from.
      return absl::InvalidArgumentError(
          "a member restored from a snapshot starts a new cluster, and takes its users from the snapshot");
    }
    auto snapshots = RenderMemberSnapshots(*m.snapshots);
    if (!snapshots.ok()) return snapshots.status();
    out.files.insert(out.files.end(), snapshots->pieces.files.begin(), snapshots->pieces.files.end());
    out.runcmd.insert(out.runcmd.end(), snapshots->pieces.runcmd.begin(), snapshots->pieces.runcmd.end());
    // The data directory comes from the snapshot before etcd first starts.
    if (!snapshots->restore_step.empty()) out.runcmd.insert(out.runcmd.begin(), snapshots->restore_step);
  }
  return out;
}

}  // namespace pgha::roles
