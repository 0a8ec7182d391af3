#include "roles/pieces.h"

#include <string_view>

#include "base/strings.h"

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
  return e;
}

LiveEffect PatroniLiveEffect(const std::vector<std::string>& changed) {
  LiveEffect e;
  // SIGHUP: Patroni re-reads its configuration, reloads PostgreSQL (which
  // re-reads its TLS files and pg_hba) and its REST API's certificate.
  // Parameters that need a restart show as pending_restart instead.
  if (AnyUnder(changed, "/etc/patroni/")) AddOnce(e, {"/bin/systemctl", "reload", "patroni"});
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
