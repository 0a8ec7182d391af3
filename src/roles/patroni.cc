#include "roles/patroni.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cloudinit/yaml_template.h"

namespace pgha::roles {
namespace {

using cloudinit::kOmit;
using cloudinit::StringMap;
using cloudinit::TemplateValue;

// A member address as pg_hba takes it: a bare IP becomes a one-host network.
std::string HostNetwork(const std::string& address) {
  if (address.find('/') != std::string::npos) return address;
  return pgha::StrCat(address, address.find(':') != std::string::npos ? "/128" : "/32");
}

// pg_hba.conf lines; PostgreSQL takes the first that matches. Remote
// connections need TLS (hostssl) and scram-sha-256; nothing is trusted.
std::vector<std::string> PgHba(const PatroniNode& n) {
  std::vector<std::string> hba = {"local all postgres peer"};
  if (n.exporter) {
    // The metrics exporter's OS user, mapped by pg_ident to its pg_monitor-only role.
    hba.push_back(pgha::StrCat("local all ", kMonitorRole, " peer map=", kMonitorRole));
  }
  hba.insert(hba.end(), {
      "local all all scram-sha-256",
      "local replication all scram-sha-256",
      // A replica reads its own timeline over a replication connection to localhost.
      "hostssl all all 127.0.0.1/32 scram-sha-256",
      "hostssl replication replicator 127.0.0.1/32 scram-sha-256",
  });
  if (n.member_addresses.empty()) {
    for (const auto& net : n.client_networks) {
      hba.push_back(pgha::StrCat("hostssl all all ", net, " scram-sha-256"));
      hba.push_back(pgha::StrCat("hostssl replication replicator ", net, " scram-sha-256"));
    }
    return hba;
  }
  // The cluster's own logins (superuser, rewind, replication) from the members only: a stolen
  // superuser password is no use from an application's network.
  for (const auto& member : n.member_addresses) {
    const std::string net = HostNetwork(member);
    hba.push_back(pgha::StrCat("hostssl replication replicator ", net, " scram-sha-256"));
    hba.push_back(pgha::StrCat("hostssl all postgres,rewinder ", net, " scram-sha-256"));
  }
  hba.push_back("host all postgres,rewinder,replicator 0.0.0.0/0 reject");
  hba.push_back("host all postgres,rewinder,replicator ::/0 reject");
  for (const auto& net : n.client_networks) hba.push_back(pgha::StrCat("hostssl all all ", net, " scram-sha-256"));
  return hba;
}

}  // namespace

absl::StatusOr<RolePieces> RenderPatroni(const PatroniNode& n) {
  if (n.client_networks.empty()) return absl::InvalidArgumentError("no client network for pg_hba");
  for (const auto& net : n.client_networks) {
    if (auto st = CheckToken("client network", net); !st.ok()) return st;
  }
  for (const auto& member : n.member_addresses) {
    if (auto st = CheckToken("member address", member); !st.ok()) return st;
  }
  std::vector<std::string> etcd_hosts = n.etcd_endpoints;
  const bool strict = n.mode == ReplicationMode::kSynchronousStrict;
  const bool sync = n.mode != ReplicationMode::kAsynchronous;
  const bool own_rewinder = !n.rewind_password.empty();
  const StringMap rewind = {{"username", own_rewinder ? "rewinder" : "postgres"},
                            {"password", own_rewinder ? n.rewind_password : n.superuser_password},
                            {"sslmode", "verify-full"},
                            {"sslrootcert", "/etc/patroni/tls/ca.crt"}};
  const std::string data_path = "/var/lib/postgresql/data";
  const std::string data_dir = kPostgresDataDir;
  const bool backup = n.backup.has_value();
  const bool replica_from_backup = backup && n.replica_from_backup;
  if (n.restore && !backup) return absl::InvalidArgumentError("a restore needs the backup repository");
  std::optional<std::string> restore_command;
  if (n.restore) {
    auto command = RestoreBootstrapCommand(*n.restore);
    if (!command.ok()) return command.status();
    restore_command = *command;
  }
  const auto if_restore = [&](TemplateValue v) { return n.restore ? v : TemplateValue(kOmit); };
  const auto if_exporter = [&](TemplateValue v) { return n.exporter ? v : TemplateValue(kOmit); };
  const std::string monitor_role_script(kMonitorRoleScript);
  auto tmpl = cloudinit::EmbeddedTemplate("patroni/config.yml");
  if (!tmpl.ok()) return tmpl.status();
  const bool etcd_cert = !n.etcd_client_cert.empty();
  const bool etcd_password = !n.etcd_username.empty();
  auto config = cloudinit::RenderYamlTemplate(
      *tmpl,
      {
          {"scope", n.scope},
          {"namespace", n.namespace_},
          {"name", n.name},
          {"restapi_listen", HostPort(n.ip, 8008)},
          {"restapi_connect_address", HostPort(n.ip, 8008)},
          {"restapi_allowlist", std::vector<std::string>{n.ip, "127.0.0.1", "::1"}},
          {"restapi_authentication", n.rest_username.empty() ? TemplateValue(kOmit)
                                                             : TemplateValue(StringMap{{"username", n.rest_username},
                                                                                       {"password", n.rest_password}})},
          {"etcd_hosts", etcd_hosts},
          {"etcd_cert", etcd_cert ? TemplateValue(std::string("/etc/patroni/tls/etcd-client.crt")) : kOmit},
          {"etcd_key", etcd_cert ? TemplateValue(std::string("/etc/patroni/tls/etcd-client.key")) : kOmit},
          {"etcd_username", etcd_password ? TemplateValue(n.etcd_username) : kOmit},
          {"etcd_password", etcd_password ? TemplateValue(n.etcd_password) : kOmit},
          {"ttl", n.ttl},
          {"loop_wait", n.loop_wait},
          {"retry_timeout", n.retry_timeout},
          {"primary_start_timeout", n.primary_start_timeout},
          {"primary_stop_timeout", n.primary_stop_timeout ? TemplateValue(*n.primary_stop_timeout) : kOmit},
          {"maximum_lag_on_failover", n.maximum_lag_on_failover},
          {"synchronous_mode", sync},
          {"synchronous_mode_strict", strict},
          {"synchronous_node_count", n.synchronous_node_count},
          {"use_pg_rewind", n.use_pg_rewind},
          {"dcs_parameters", StringMap(n.parameters.begin(), n.parameters.end())},
          {"postgresql_listen", pgha::StrCat("127.0.0.1,", HostPort(n.ip, 5432))},
          {"postgresql_connect_address", HostPort(n.ip, 5432)},
          {"data_dir", data_dir},
          {"superuser_password", n.superuser_password},
          {"replicator_password", n.replicator_password},
          {"rewind", rewind},
          {"pg_hba", PgHba(n)},
          {"pg_ident", if_exporter(std::vector<std::string>{
                           pgha::StrCat(kMonitorRole, " ", kExporterUser, " ", kMonitorRole)})},
          {"callback_on_start", if_exporter(monitor_role_script)},
          {"callback_on_role_change", if_exporter(monitor_role_script)},
          {"archive_mode", backup ? TemplateValue(std::string("on")) : kOmit},
          {"archive_command", backup ? TemplateValue(ArchiveCommand(n.backup->stanza)) : kOmit},
          {"archive_timeout", backup ? TemplateValue(pgha::StrCat(n.archive_timeout, "s")) : kOmit},
          {"recovery_conf", backup ? TemplateValue(StringMap{{"restore_command", RestoreCommand(n.backup->stanza)}})
                                   : kOmit},
          {"create_replica_methods", replica_from_backup
                                         ? TemplateValue(std::vector<std::string>{"pgbackrest", "basebackup"})
                                         : kOmit},
          {"pgbackrest_replica_command",
           replica_from_backup ? TemplateValue(ReplicaRestoreCommand(n.backup->stanza)) : kOmit},
          {"pgbackrest_keep_data", replica_from_backup ? TemplateValue(true) : kOmit},
          {"pgbackrest_no_params", replica_from_backup ? TemplateValue(true) : kOmit},
          {"bootstrap_method", if_restore(std::string("pgbackrest_restore"))},
          {"restore_bootstrap_command", if_restore(restore_command.value_or(""))},
          // pgBackRest's recovery settings (target, action, restore_command) stand; Patroni removes
          // them from postgresql.auto.conf once the cluster is promoted and bootstrapped.
          {"restore_keep_recovery_conf", if_restore(true)},
          {"restore_no_params", if_restore(true)},
          {"watchdog_mode", n.watchdog_mode},
          {"watchdog_safety_margin", n.watchdog_safety_margin},
      });
  if (!config.ok()) return config.status();
  auto prepare = cloudinit::EmbeddedTemplate("patroni/prepare.sh");
  if (!prepare.ok()) return prepare.status();
  auto rules = cloudinit::EmbeddedTemplate("patroni/60-pgha-watchdog.rules");
  if (!rules.ok()) return rules.status();
  auto wait_auth = cloudinit::EmbeddedTemplate("patroni/wait-etcd-auth.py");
  if (!wait_auth.ok()) return wait_auth.status();
  auto launcher = cloudinit::EmbeddedTemplate("patroni/pgha-patroni");
  if (!launcher.ok()) return launcher.status();
  auto dropin = cloudinit::EmbeddedTemplate("patroni/pgha.conf");
  if (!dropin.ok()) return dropin.status();

  RolePieces out;
  out.data_path = data_path;
  out.packages = {"postgresql-15", "patroni", "python3-etcd"};
  // postgres refuses a key not owned by its user with mode 0600; the user
  // exists once the packages are in, so these are written late (defer).
  const std::string pg = "postgres:postgres";
  out.files = {
      {"/etc/patroni/tls/ca.crt", n.ca_cert, pg, "0644", true},
      {"/etc/patroni/tls/server.crt", n.server_cert, pg, "0644", true},
      {"/etc/patroni/tls/server.key", n.server_key, pg, "0600", true},
      {"/etc/patroni/tls/rest-ca.crt", n.rest_ca_cert, pg, "0644", true},
      {"/etc/patroni/tls/rest.crt", n.rest_cert, pg, "0644", true},
      {"/etc/patroni/tls/rest.key", n.rest_key, pg, "0600", true},
      {"/etc/patroni/tls/etcd-ca.crt", n.etcd_ca_cert, pg, "0644", true},
      {"/etc/patroni/config.yml", *config, "root:postgres", "0640", true},
      {"/usr/local/sbin/pgha-patroni-prepare", std::string(*prepare), "root:root", "0755", false},
      {"/etc/udev/rules.d/60-pgha-watchdog.rules", std::string(*rules), "root:root", "0644", false},
      {std::string(kPatroniLauncher), std::string(*launcher), "root:root", "0755", false},
      {std::string(kPatroniDropIn), std::string(*dropin), "root:root", "0644", false},
  };
  if (etcd_cert) {
    out.files.push_back({"/etc/patroni/tls/etcd-client.crt", n.etcd_client_cert, pg, "0644", true});
    out.files.push_back({"/etc/patroni/tls/etcd-client.key", n.etcd_client_key, pg, "0600", true});
  }
  out.runcmd = {{"/usr/local/sbin/pgha-patroni-prepare", data_dir}};
  if (etcd_password) {
    // Patroni's first start waits until etcd authentication is on (see the script for why).
    nlohmann::json credentials = {{"name", n.etcd_username}, {"password", n.etcd_password}};
    out.files.push_back({"/etc/patroni/etcd-auth.json", credentials.dump(), "root:root", "0600", false});
    out.files.push_back({"/usr/local/sbin/pgha-wait-etcd-auth", std::string(*wait_auth), "root:root", "0755", false});
    std::vector<std::string> wait = {"/usr/local/sbin/pgha-wait-etcd-auth", "/etc/patroni/etcd-auth.json",
                                     "/etc/patroni/tls/etcd-ca.crt"};
    if (etcd_cert) {
      wait.push_back("/etc/patroni/tls/etcd-client.crt");
      wait.push_back("/etc/patroni/tls/etcd-client.key");
    }
    wait.push_back("--");
    wait.insert(wait.end(), n.etcd_endpoints.begin(), n.etcd_endpoints.end());
    out.runcmd.push_back(wait);
  }
  if (backup) {
    // pgBackRest's server and configuration are in place before PostgreSQL archives its first segment.
    auto pieces = RenderNodeBackup(*n.backup, n.restore);
    if (!pieces.ok()) return pieces.status();
    out.Append(*pieces);
  }
  out.runcmd.push_back({"systemctl", "daemon-reload"});  // the drop-in that starts the launcher
  out.runcmd.push_back({"systemctl", "enable", "patroni"});
  out.runcmd.push_back({"systemctl", "restart", "patroni"});
  if (n.exporter) {
    auto pieces = RenderPostgresExporter(*n.exporter);
    if (!pieces.ok()) return pieces.status();
    out.Append(*pieces);
  }
  return out;
}

}  // namespace pgha::roles
