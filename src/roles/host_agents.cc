#include "roles/host_agents.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cloudinit/line_template.h"
#include "cloudinit/yaml_template.h"

namespace pgha::roles {
namespace {

using cloudinit::RenderEmbeddedLineTemplate;

absl::StatusOr<std::string> SourceLine(const TimeSource& s) {
  if (auto st = CheckToken("chrony source", s.host); !st.ok()) return st;
  std::string line = s.host;
  for (const auto& option : s.options) {
    // An option may hold a value ("maxsources 3") but never a newline.
    for (unsigned char c : option) {
      if (c < 0x20 || c == 0x7f) return absl::InvalidArgumentError("chrony option holds a control character");
    }
    pgha::StrAppend(&line, " ", option);
  }
  return line;
}

absl::Status RenderChrony(const Chrony& c, RolePieces& out) {
  std::vector<std::string> servers, pools, makestep;
  for (const auto& s : c.servers) {
    auto line = SourceLine(s);
    if (!line.ok()) return line.status();
    servers.push_back(*line);
  }
  for (const auto& s : c.pools) {
    auto line = SourceLine(s);
    if (!line.ok()) return line.status();
    pools.push_back(*line);
  }
  if (c.makestep_threshold) {
    if (auto st = CheckToken("chrony makestep threshold", *c.makestep_threshold); !st.ok()) return st;
    makestep.push_back(pgha::StrCat(*c.makestep_threshold, " ", c.makestep_limit));
  }
  auto conf = RenderEmbeddedLineTemplate("chrony/chrony.conf",
                                         {{"servers", servers}, {"pools", pools}, {"makestep", makestep}});
  if (!conf.ok()) return conf.status();
  out.packages.push_back("chrony");
  // Written after the package so its own default does not replace it.
  out.files.push_back({"/etc/chrony/chrony.conf", *conf, "root:root", "0644", true});
  out.runcmd.push_back({"systemctl", "restart", "chrony"});
  return absl::OkStatus();
}

absl::Status RenderFluentBit(const FluentBit& f, RolePieces& out) {
  const std::string base = "/etc/fluent-bit-customization";
  for (const auto& [what, token] : {std::pair<std::string, std::string>{"fluentbit.service_tag", f.service_tag},
                                    {"fluentbit.node_exporter_tag", f.node_exporter_tag}}) {
    if (auto st = CheckToken(what, token); !st.ok()) return st;
  }
  auto service = cloudinit::EmbeddedTemplate("fluentbit/fluent-bit-service.conf");
  if (!service.ok()) return service.status();
  const std::string storage = f.buffer_total_limit_size.empty() ? "memory" : "filesystem";
  auto inputs = RenderEmbeddedLineTemplate("fluentbit/fluent-bit-inputs.conf", {{"service_tag", f.service_tag},
                                                            {"service_unit", f.service_unit},
                                                            {"node_exporter_tag", f.node_exporter_tag},
                                                            {"storage_type", storage}});
  if (!inputs.ok()) return inputs.status();
  out.files.push_back({base + "/default-config/fluent-bit-service.conf", std::string(*service), "root:root", "0644"});
  out.files.push_back({base + "/default-config/fluent-bit-inputs.conf", *inputs, "root:root", "0644"});
  std::vector<std::string> includes = {base + "/default-config/fluent-bit-service.conf",
                                       base + "/default-config/fluent-bit-inputs.conf"};
  if (f.forward) {
    const FluentBitForward& fw = *f.forward;
    for (const auto& [what, token] : {std::pair<std::string, std::string>{"fluentbit.forward.domain", fw.host},
                                      {"fluentbit.forward.hostname", fw.self_hostname},
                                      {"fluentbit.forward.shared_key", fw.shared_key}}) {
      if (auto st = CheckToken(what, token); !st.ok()) return st;
    }
    std::vector<std::string> limit;
    if (!f.buffer_total_limit_size.empty()) {
      if (auto st = CheckToken("fluentbit.buffer_total_limit_size", f.buffer_total_limit_size); !st.ok()) return st;
      limit.push_back("storage.total_limit_size " + f.buffer_total_limit_size);
    }
    auto output = RenderEmbeddedLineTemplate("fluentbit/fluent-bit-output.conf", {{"host", fw.host},
                                                              {"port", std::to_string(fw.port)},
                                                              {"hostname", fw.self_hostname},
                                                              {"shared_key", fw.shared_key},
                                                              {"buffer_limit", limit}});
    if (!output.ok()) return output.status();
    // The shared key is a secret: root only.
    out.files.push_back({base + "/default-config/fluent-bit-output.conf", *output, "root:root", "0600"});
    out.files.push_back({"/etc/fluent-bit/tls/forward-ca.crt", fw.ca_cert, "root:root", "0644"});
    includes.push_back(base + "/default-config/fluent-bit-output.conf");
  }
  if (f.dynamic_config) {
    const FluentBitEtcdSource& d = *f.dynamic_config;
    nlohmann::json conf = {{"prefix", d.key_prefix}, {"endpoints", d.endpoints}, {"ca_file", base + "/etcd/ca.crt"}};
    out.files.push_back({base + "/etcd/ca.crt", d.ca_cert, "root:root", "0644"});
    if (!d.client_cert.empty()) {
      conf["cert_file"] = base + "/etcd/client.crt";
      conf["key_file"] = base + "/etcd/client.key";
      out.files.push_back({base + "/etcd/client.crt", d.client_cert, "root:root", "0644"});
      out.files.push_back({base + "/etcd/client.key", d.client_key, "root:root", "0600"});
    }
    if (!d.username.empty()) {
      conf["username"] = d.username;
      conf["password"] = d.password;
    }
    out.files.push_back({base + "/etcd.json", conf.dump(2) + "\n", "root:root", "0600"});
    for (const char* name : {"pgha-fluentbit-sync.service", "pgha-fluentbit-sync.timer"}) {
      auto unit = cloudinit::EmbeddedTemplate(pgha::StrCat("fluentbit/", name));
      if (!unit.ok()) return unit.status();
      out.files.push_back({pgha::StrCat("/etc/systemd/system/", name), std::string(*unit), "root:root", "0644"});
    }
    auto sync = cloudinit::EmbeddedTemplate("fluentbit/pgha-fluentbit-sync");
    if (!sync.ok()) return sync.status();
    out.files.push_back({"/usr/local/sbin/pgha-fluentbit-sync", std::string(*sync), "root:root", "0755"});
    out.packages.push_back("etcd-client");  // etcdctl
    includes = {base + "/dynamic-config/index.conf"};
  }
  auto main = RenderEmbeddedLineTemplate("fluentbit/fluent-bit.conf", {{"includes", includes}});
  if (!main.ok()) return main.status();
  out.files.push_back({"/etc/fluent-bit/fluent-bit.conf", *main, "root:root", "0644"});
  out.runcmd.push_back({"mkdir", "-p", "/var/lib/fluent-bit/storage"});
  out.runcmd.push_back({"systemctl", "daemon-reload"});
  if (f.dynamic_config) {
    // The first sync writes dynamic-config/ and starts fluent-bit.
    out.runcmd.push_back({"systemctl", "enable", "--now", "pgha-fluentbit-sync.timer"});
    out.runcmd.push_back({"systemctl", "start", "pgha-fluentbit-sync.service"});
  }
  out.runcmd.push_back({"systemctl", "enable", "fluent-bit"});
  out.runcmd.push_back({"systemctl", "restart", "fluent-bit"});
  return absl::OkStatus();
}

absl::Status RenderNodeExporter(const NodeExporter& n, RolePieces& out) {
  if (!IsListenAddress(n.listen_address)) {
    return absl::InvalidArgumentError(
        pgha::StrCat("node_exporter.listen_address \"", n.listen_address, "\" is not [host]:port"));
  }
  auto dropin = RenderEmbeddedLineTemplate("node_exporter/pgha.conf", {{"listen_address", n.listen_address}});
  if (!dropin.ok()) return dropin.status();
  out.packages.push_back("prometheus-node-exporter");
  out.files.push_back(
      {"/etc/systemd/system/prometheus-node-exporter.service.d/pgha.conf", *dropin, "root:root", "0644"});
  out.runcmd.push_back({"systemctl", "daemon-reload"});
  out.runcmd.push_back({"systemctl", "enable", "prometheus-node-exporter"});
  out.runcmd.push_back({"systemctl", "restart", "prometheus-node-exporter"});
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> FluentBitRunningCheck() {
  return {"sh", "-c",
          "systemctl is-active --quiet fluent-bit && exit 0; "
          "msg='pgha: fluentbit is enabled but fluent-bit is not running (is it installed? it is not in Debian): "
          "logs are not forwarded'; echo \"$msg\" >&2; echo \"$msg\" >/dev/console 2>/dev/null; exit 1"};
}

absl::StatusOr<RolePieces> RenderHostAgents(const HostAgents& agents) {
  RolePieces out;
  if (agents.chrony) {
    if (auto st = RenderChrony(*agents.chrony, out); !st.ok()) return st;
  }
  if (agents.node_exporter) {
    if (auto st = RenderNodeExporter(*agents.node_exporter, out); !st.ok()) return st;
  }
  if (agents.fluentbit) {
    if (auto st = RenderFluentBit(*agents.fluentbit, out); !st.ok()) return st;
  }
  return out;
}

}  // namespace pgha::roles
