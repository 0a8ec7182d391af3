#include "roles/postgres_exporter.h"

#include "base/strings.h"
#include "cloudinit/line_template.h"
#include "cloudinit/yaml_template.h"

namespace pgha::roles {

using cloudinit::kOmit;
using cloudinit::TemplateValue;

absl::StatusOr<RolePieces> RenderPostgresExporter(const PostgresExporter& e) {
  if (!IsListenAddress(e.listen_address)) {
    return absl::InvalidArgumentError(
        pgha::StrCat("postgres_exporter.listen_address \"", e.listen_address, "\" is not [host]:port"));
  }
  const std::string dir(kExporterConfigDir);
  const std::string web_config = dir + "pgha-web.yml";
  const bool tls = e.tls.has_value();
  const bool client_ca = tls && !e.tls->client_ca_cert.empty();
  const auto if_tls = [&](TemplateValue v) { return tls ? v : TemplateValue(kOmit); };
  const auto if_client_ca = [&](TemplateValue v) { return client_ca ? v : TemplateValue(kOmit); };
  auto web_tmpl = cloudinit::EmbeddedTemplate("postgres_exporter/web.yml");
  if (!web_tmpl.ok()) return web_tmpl.status();
  auto web = cloudinit::RenderYamlTemplate(
      *web_tmpl, {{"cert_file", if_tls(dir + "tls.crt")},
                  {"key_file", if_tls(dir + "tls.key")},
                  {"client_auth_type", if_client_ca(std::string("RequireAndVerifyClientCert"))},
                  {"client_ca_file", if_client_ca(dir + "client-ca.crt")}});
  if (!web.ok()) return web.status();
  auto dropin = cloudinit::RenderEmbeddedLineTemplate(
      "postgres_exporter/pgha.conf", {{"listen_address", e.listen_address},
                                      {"web_config", web_config},
                                      {"monitor_role", std::string(kMonitorRole)},
                                      {"monitor_role_script", std::string(kMonitorRoleScript)}});
  if (!dropin.ok()) return dropin.status();
  auto script = cloudinit::RenderEmbeddedLineTemplate("postgres_exporter/pgha-monitor-role",
                                                     {{"monitor_role", std::string(kMonitorRole)}});
  if (!script.ok()) return script.status();

  RolePieces out;
  out.packages = {"prometheus-postgres-exporter"};
  // The exporter reads its web configuration and key as `prometheus`, which the package creates:
  // written late.
  const std::string owner = pgha::StrCat("root:", kExporterUser);
  out.files = {
      {std::string(kMonitorRoleScript), *script, "root:root", "0755", false},
      {web_config, *web, owner, "0640", true},
      {std::string(kExporterDropIn), *dropin, "root:root", "0644", false},
  };
  if (tls) {
    out.files.push_back({dir + "tls.crt", e.tls->cert, owner, "0644", true});
    out.files.push_back({dir + "tls.key", e.tls->key, owner, "0640", true});
    if (client_ca) out.files.push_back({dir + "client-ca.crt", e.tls->client_ca_cert, owner, "0644", true});
  }
  out.runcmd = {
      {"systemctl", "daemon-reload"},
      {"systemctl", "enable", "prometheus-postgres-exporter"},
      {"systemctl", "restart", "prometheus-postgres-exporter"},
  };
  return out;
}

}  // namespace pgha::roles
