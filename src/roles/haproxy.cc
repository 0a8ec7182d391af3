#include "roles/haproxy.h"

#include <string_view>

#include "base/strings.h"
#include "cloudinit/line_template.h"
#include "cloudinit/yaml_template.h"

namespace pgha::roles {
namespace {

constexpr std::string_view kMetricsPem = "/etc/haproxy/tls/metrics.pem";
constexpr std::string_view kMetricsClientCa = "/etc/haproxy/tls/metrics-client-ca.crt";

// HAProxy wants a certificate and its key in one PEM file.
std::string PemBundle(const std::string& cert, const std::string& key) {
  std::string pem = cert;
  if (!pem.empty() && pem.back() != '\n') pem += '\n';
  return pem + key;
}

absl::Status CheckTimeout(const std::string& what, const std::string& value) {
  if (!IsHaproxyTime(value)) {
    return absl::InvalidArgumentError(pgha::StrCat(what, " \"", value, "\" is not an HAProxy time such as 5s or 30m"));
  }
  return absl::OkStatus();
}

// One `server` line per node, or a server-template over DNS.
absl::StatusOr<std::vector<std::string>> ServerLines(const LoadBalancer& lb, int port) {
  std::vector<std::string> lines;
  if (!lb.nodes.empty()) {
    for (const auto& n : lb.nodes) {
      if (auto st = CheckToken("node name", n.name); !st.ok()) return st;
      if (auto st = CheckToken("node address", n.address); !st.ok()) return st;
      lines.push_back(pgha::StrCat("server ", n.name, " ", HostPort(n.address, port), " check port 8008 verifyhost ",
                                   n.name));
    }
    return lines;
  }
  if (auto st = CheckToken("postgres_domain", lb.domain); !st.ok()) return st;
  lines.push_back(pgha::StrCat("server-template pg 1-", lb.max_nodes, " ", lb.domain, ":", port,
                               " check port 8008 verifyhost ", lb.domain,
                               " resolvers postgres-dns init-addr none"));
  return lines;
}

// A `listen` section for a read-only port, sent to the `servers` (PostgreSQL's port on each node)
// that answer `check_uri`.
absl::StatusOr<std::string> ReadOnlyListener(const std::vector<std::string>& servers, const std::string& name,
                                             int64_t port, const std::string& check_uri) {
  auto tmpl = cloudinit::EmbeddedTemplate("haproxy/read-only.cfg");
  if (!tmpl.ok()) return tmpl.status();
  return cloudinit::RenderLineTemplate(
      *tmpl, {{"name", name}, {"port", pgha::StrCat(port)}, {"check_uri", check_uri}, {"servers", servers}});
}

}  // namespace

absl::StatusOr<RolePieces> RenderHaproxy(const LoadBalancer& lb) {
  for (const auto& [what, value] : {std::pair<std::string, std::string>{"timeouts.connect", lb.connect_timeout},
                                    {"timeouts.check", lb.check_timeout},
                                    {"timeouts.idle", lb.idle_timeout}}) {
    if (auto st = CheckTimeout(what, value); !st.ok()) return st;
  }
  auto postgres = ServerLines(lb, 5432);
  if (!postgres.ok()) return postgres.status();
  auto api = ServerLines(lb, 8008);
  if (!api.ok()) return api.status();
  auto tmpl = cloudinit::EmbeddedTemplate("haproxy/haproxy.cfg");
  if (!tmpl.ok()) return tmpl.status();
  auto config = cloudinit::RenderLineTemplate(*tmpl, {{"connect_timeout", lb.connect_timeout},
                                                      {"check_timeout", lb.check_timeout},
                                                      {"idle_timeout", lb.idle_timeout},
                                                      {"postgres_servers", *postgres},
                                                      {"api_servers", *api}});
  if (!config.ok()) return config.status();
  std::string text = *config;
  if (lb.replica_port != 0) {
    auto section = ReadOnlyListener(*postgres, "postgres-replicas", lb.replica_port,
                                    pgha::StrCat("/replica?lag=", lb.replica_max_lag_bytes));
    if (!section.ok()) return section.status();
    text += *section;
  }
  if (lb.sync_standby_port != 0) {
    auto section = ReadOnlyListener(*postgres, "postgres-sync-standby", lb.sync_standby_port, "/sync");
    if (!section.ok()) return section.status();
    text += *section;
  }
  if (lb.metrics_port != 0) {
    if (auto st = CheckToken("advertised address", lb.advertised_ip); !st.ok()) return st;
    auto metrics_tmpl = cloudinit::EmbeddedTemplate("haproxy/metrics.cfg");
    if (!metrics_tmpl.ok()) return metrics_tmpl.status();
    // HAProxy terminates TLS with the certificate and key in one file, and asks for a client
    // certificate only when given the CA to verify it with.
    std::string bind = HostPort(lb.advertised_ip, static_cast<int>(lb.metrics_port));
    if (lb.metrics_tls) {
      bind += pgha::StrCat(" ssl crt ", kMetricsPem);
      if (!lb.metrics_tls->client_ca_cert.empty()) bind += pgha::StrCat(" verify required ca-file ", kMetricsClientCa);
    }
    auto metrics = cloudinit::RenderLineTemplate(*metrics_tmpl, {{"bind", bind}});
    if (!metrics.ok()) return metrics.status();
    text += *metrics;
  }
  if (lb.nodes.empty()) {
    std::vector<std::string> nameservers;
    for (size_t i = 0; i < lb.nameservers.size(); ++i) {
      if (auto st = CheckToken("nameserver", lb.nameservers[i]); !st.ok()) return st;
      nameservers.push_back(pgha::StrCat("ns", i + 1, " ", HostPort(lb.nameservers[i], 53)));
    }
    auto resolvers_tmpl = cloudinit::EmbeddedTemplate("haproxy/resolvers.cfg");
    if (!resolvers_tmpl.ok()) return resolvers_tmpl.status();
    auto resolvers = cloudinit::RenderLineTemplate(*resolvers_tmpl, {{"nameservers", nameservers}});
    if (!resolvers.ok()) return resolvers.status();
    text += *resolvers;
  }
  RolePieces out;
  out.packages = {"haproxy"};
  const std::string pem = PemBundle(lb.client_cert, lb.client_key);
  out.files = {
      {"/etc/haproxy/haproxy.cfg", text, "root:root", "0644", true},
      {"/etc/haproxy/tls/patroni-ca.crt", lb.patroni_ca_cert, "root:root", "0644", false},
      {"/etc/haproxy/tls/patroni-client.pem", pem, "root:root", "0600", false},
  };
  if (lb.metrics_port != 0 && lb.metrics_tls) {
    out.files.push_back({std::string(kMetricsPem), PemBundle(lb.metrics_tls->cert, lb.metrics_tls->key), "root:root",
                         "0600", false});
    if (!lb.metrics_tls->client_ca_cert.empty()) {
      out.files.push_back({std::string(kMetricsClientCa), lb.metrics_tls->client_ca_cert, "root:root", "0644", false});
    }
  }
  out.runcmd = {
      {"haproxy", "-c", "-q", "-f", "/etc/haproxy/haproxy.cfg"},
      {"systemctl", "enable", "haproxy"},
      {"systemctl", "restart", "haproxy"},
  };
  return out;
}

}  // namespace pgha::roles
