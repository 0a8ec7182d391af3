#include "roles/pieces.h"

#include <algorithm>
#include <string_view>

#include "base/strings.h"
#include "cloudinit/line_template.h"
#include "cloudinit/yaml_template.h"
#include "roles/patroni.h"

namespace pgha::roles {

void RolePieces::Append(const RolePieces& other) {
  files.insert(files.end(), other.files.begin(), other.files.end());
  runcmd.insert(runcmd.end(), other.runcmd.begin(), other.runcmd.end());
  packages.insert(packages.end(), other.packages.begin(), other.packages.end());
  if (data_path.empty()) data_path = other.data_path;
}

absl::Status CheckToken(const std::string& what, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(pgha::StrCat(what, " is empty"));
  for (unsigned char c : value) {
    if (c <= 0x20 || c == 0x7f) {
      // The value itself stays out of the message: it may be a secret (a shared key).
      return absl::InvalidArgumentError(pgha::StrCat(what, " holds a space or control character"));
    }
  }
  return absl::OkStatus();
}

std::string HostPort(const std::string& ip, int port) {
  return ip.find(':') == std::string::npos ? pgha::StrCat(ip, ":", port) : pgha::StrCat("[", ip, "]:", port);
}

// Checked by hand, not with std::regex: renders run concurrently, and the
// first compile of a regex writes libstdc++'s shared ctype cache unlocked.
namespace {

bool AllOf(std::string_view s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

// ^[0-9]+(us|ms|s|m|h|d)?$
bool IsHaproxyTime(const std::string& value) {
  std::string_view v = value;
  size_t digits = 0;
  while (digits < v.size() && IsDigit(v[digits])) ++digits;
  if (digits == 0) return false;
  const std::string_view unit = v.substr(digits);
  return unit.empty() || unit == "us" || unit == "ms" || unit == "s" || unit == "m" || unit == "h" || unit == "d";
}

// ^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):[0-9]{1,5}$
bool IsListenAddress(const std::string& value) {
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos) return false;
  const std::string_view host = std::string_view(value).substr(0, colon);
  const std::string_view port = std::string_view(value).substr(colon + 1);
  if (port.empty() || port.size() > 5 || !AllOf(port, IsDigit)) return false;
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    return AllOf(host.substr(1, host.size() - 2), [](char c) {
      return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    });
  }
  return AllOf(host, [](char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
  });
}

absl::StatusOr<RolePieces> StaticHosts(const std::vector<HostEntry>& entries) {
  std::vector<std::string> lines;
  for (const auto& e : entries) {
    if (auto st = CheckToken("host address", e.ip); !st.ok()) return st;
    if (auto st = CheckToken("host name", e.name); !st.ok()) return st;
    lines.push_back(pgha::StrCat(e.ip, " ", e.name));
  }
  auto hosts = cloudinit::RenderEmbeddedLineTemplate("hosts/hosts", {{"entries", lines}});
  if (!hosts.ok()) return hosts.status();
  auto script = cloudinit::EmbeddedTemplate("hosts/pgha-hosts");
  if (!script.ok()) return script.status();
  auto unit = cloudinit::EmbeddedTemplate("hosts/pgha-hosts.service");
  if (!unit.ok()) return unit.status();
  RolePieces out;
  out.files = {
      {"/etc/pgha/hosts", *hosts, "root:root", "0644", false},
      {"/usr/local/sbin/pgha-hosts", std::string(*script), "root:root", "0755", false},
      {"/etc/systemd/system/pgha-hosts.service", std::string(*unit), "root:root", "0644", false},
  };
  out.runcmd = {{"/usr/local/sbin/pgha-hosts"}, {"systemctl", "enable", "pgha-hosts.service"}};
  return out;
}

std::string ShellQuote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  return quoted;
}

namespace {

bool Under(const std::string& path, std::string_view prefix) { return path.rfind(prefix, 0) == 0; }

bool AnyUnder(const std::vector<std::string>& changed, std::string_view prefix) {
  for (const auto& p : changed) {
    if (Under(p, prefix)) return true;
  }
  return false;
}

void AddOnce(LiveEffect& e, std::vector<std::string> command) {
  for (const auto& c : e.commands) {
    if (c == command) return;
  }
  e.commands.push_back(std::move(command));
}

}  // namespace

void LiveEffect::Append(const LiveEffect& other) {
  for (const auto& c : other.commands) AddOnce(*this, c);
  disruptive = disruptive || other.disruptive;
}

LiveEffect EtcdLiveEffect(const std::vector<std::string>& changed) {
  LiveEffect e;
  bool restart = false;
  for (const auto& p : changed) {
    // etcd reads its certificate and key on every TLS handshake; the CA and
    // its configuration only when it starts.
    if (p == "/etc/etcd/tls/server.crt" || p == "/etc/etcd/tls/server.key") continue;
    if (Under(p, "/etc/etcd/") || Under(p, "/etc/systemd/system/etcd.service.d/")) restart = true;
  }
  if (restart) {
    AddOnce(e, {"/bin/systemctl", "daemon-reload"});
    AddOnce(e, {"/bin/systemctl", "restart", "etcd"});
    e.disruptive = true;
  }
  // Snapshots: the job reads its configuration on each run; a new or changed schedule takes effect
  // when its timer is (re)started. etcd itself is not touched.
  if (AnyUnder(changed, "/etc/systemd/system/pgha-etcd-snapshot.")) {
    AddOnce(e, {"/bin/systemctl", "daemon-reload"});
    AddOnce(e, {"/bin/systemctl", "enable", "--now", "pgha-etcd-snapshot.timer"});
    AddOnce(e, {"/bin/systemctl", "restart", "pgha-etcd-snapshot.timer"});
  }
  return e;
}

namespace {

// The systemd unit a path pgha writes belongs to: "x.timer" for /etc/systemd/system/x.timer and
// "x.service" for a drop-in in /etc/systemd/system/x.service.d/; "" for any other file.
std::string UnitOf(std::string_view path) {
  constexpr std::string_view kUnits = "/etc/systemd/system/";
  if (path.substr(0, kUnits.size()) != kUnits) return "";
  std::string_view rest = path.substr(kUnits.size());
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    const std::string_view dir = rest.substr(0, slash);
    if (dir.size() <= 2 || dir.substr(dir.size() - 2) != ".d") return "";
    return std::string(dir.substr(0, dir.size() - 2));
  }
  return std::string(rest);
}

}  // namespace

LiveEffect RetireEffect(const std::vector<std::string>& removed, const std::vector<std::string>& kept) {
  LiveEffect e;
  if (removed.empty()) return e;
  std::vector<std::string> units;
  for (const auto& path : removed) {
    const std::string unit = UnitOf(path);
    if (unit.empty() || std::find(units.begin(), units.end(), unit) != units.end()) continue;
    const bool still_ours =
        std::any_of(kept.begin(), kept.end(), [&](const std::string& k) { return UnitOf(k) == unit; });
    if (!still_ours) units.push_back(unit);
  }
  if (!units.empty()) {
    // The script is fixed; the unit names are its arguments, never part of its text.
    std::vector<std::string> stop = {"/bin/sh", "-c",
                                     "for unit; do systemctl disable --now \"$unit\" >/dev/null 2>&1 || true; done",
                                     "pgha-retire"};
    stop.insert(stop.end(), units.begin(), units.end());
    e.commands.push_back(std::move(stop));
  }
  std::vector<std::string> remove = {"/bin/rm", "-f", "--"};
  remove.insert(remove.end(), removed.begin(), removed.end());
  e.commands.push_back(std::move(remove));
  if (!units.empty()) e.commands.push_back({"/bin/systemctl", "daemon-reload"});
  return e;
}

LiveEffect PatroniLiveEffect(const std::vector<std::string>& changed) {
  LiveEffect e;
  // SIGHUP: Patroni re-reads its configuration, reloads PostgreSQL (which
  // re-reads its TLS files and pg_hba) and its REST API's certificate.
  // Parameters that need a restart show as pending_restart instead.
  if (AnyUnder(changed, "/etc/patroni/")) AddOnce(e, {"/bin/systemctl", "reload", "patroni"});
  // A new launcher (a pgha upgrade) takes a restart, which stops PostgreSQL: a leader's turn comes
  // after a switchover.
  if (std::find(changed.begin(), changed.end(), kPatroniLauncher) != changed.end() ||
      AnyUnder(changed, "/etc/systemd/system/patroni.service.d/")) {
    AddOnce(e, {"/bin/systemctl", "daemon-reload"});
    AddOnce(e, {"/bin/systemctl", "restart", "patroni"});
    e.disruptive = true;
  }
  // pgBackRest's server reads its configuration and certificate at start (archive_command runs
  // read theirs anew each time); a restart interrupts no archiving: PostgreSQL retries a push.
  if (AnyUnder(changed, "/etc/pgbackrest/")) AddOnce(e, {"/bin/systemctl", "restart", "pgbackrest"});
  // The metrics exporter (its start makes the monitoring role on the leader); a restart costs a
  // scrape at most.
  if (AnyUnder(changed, kExporterConfigDir) ||
      AnyUnder(changed, "/etc/systemd/system/prometheus-postgres-exporter.service.d/")) {
    AddOnce(e, {"/bin/systemctl", "daemon-reload"});
    AddOnce(e, {"/bin/systemctl", "enable", "prometheus-postgres-exporter"});
    AddOnce(e, {"/bin/systemctl", "restart", "prometheus-postgres-exporter"});
  }
  return e;
}

LiveEffect BackupRepositoryLiveEffect(const std::vector<std::string>& changed) {
  LiveEffect e;
  if (AnyUnder(changed, "/etc/systemd/system/")) {
    AddOnce(e, {"/bin/systemctl", "daemon-reload"});
    for (const auto& path : changed) {
      const std::string unit = path.substr(path.rfind('/') + 1);
      // A new or changed schedule takes effect when its timer is (re)started; a new stanza is
      // created by its unit, which retries until its cluster answers.
      if (unit.size() > 6 && unit.compare(unit.size() - 6, 6, ".timer") == 0) {
        AddOnce(e, {"/bin/systemctl", "enable", "--now", unit});
        AddOnce(e, {"/bin/systemctl", "restart", unit});
      } else if (unit.rfind("pgha-stanza-create-", 0) == 0) {
        AddOnce(e, {"/bin/systemctl", "enable", "--now", "--no-block", unit});
      }
    }
  }
  // A restart waits for no backup: the next scheduled run takes over.
  if (AnyUnder(changed, "/etc/pgbackrest/")) AddOnce(e, {"/bin/systemctl", "restart", "pgbackrest"});
  // The etcd snapshot store reads its configuration when it starts (and a renewed certificate on
  // the next connection).
  if (AnyUnder(changed, "/etc/pgha/snapshot-store") || AnyUnder(changed, "/usr/local/sbin/pgha-snapshot-store") ||
      AnyUnder(changed, "/etc/systemd/system/pgha-snapshot-store.service")) {
    AddOnce(e, {"/bin/systemctl", "enable", "pgha-snapshot-store"});
    AddOnce(e, {"/bin/systemctl", "restart", "pgha-snapshot-store"});
  }
  return e;
}

LiveEffect HaproxyLiveEffect(const std::vector<std::string>& changed) {
  LiveEffect e;
  // A graceful reload: new processes take the listeners, old connections finish.
  if (AnyUnder(changed, "/etc/haproxy/")) AddOnce(e, {"/bin/systemctl", "reload", "haproxy"});
  return e;
}

LiveEffect HostAgentsLiveEffect(const std::vector<std::string>& changed) {
  LiveEffect e;
  if (AnyUnder(changed, "/etc/pgha/hosts") || AnyUnder(changed, "/usr/local/sbin/pgha-hosts")) {
    AddOnce(e, {"/usr/local/sbin/pgha-hosts"});
  }
  if (AnyUnder(changed, "/etc/chrony/")) AddOnce(e, {"/bin/systemctl", "restart", "chrony"});
  if (AnyUnder(changed, "/etc/systemd/system/prometheus-node-exporter.service.d/")) {
    AddOnce(e, {"/bin/systemctl", "daemon-reload"});
    AddOnce(e, {"/bin/systemctl", "restart", "prometheus-node-exporter"});
  }
  if (AnyUnder(changed, "/etc/fluent-bit/") || AnyUnder(changed, "/usr/local/sbin/pgha-fluentbit-sync")) {
    AddOnce(e, {"/bin/systemctl", "restart", "fluent-bit"});
  }
  return e;
}

}  // namespace pgha::roles
