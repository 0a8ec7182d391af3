// PostgreSQL's metrics for Prometheus on a Patroni node: Debian's
// prometheus-postgres-exporter, run as `prometheus`, logging in over the local
// socket as a pg_monitor-only role by peer authentication (no password), with
// optional HTTPS. Knows the exporter and PostgreSQL, not Terraform or libvirt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "roles/metrics_tls.h"
#include "roles/pieces.h"

namespace pgha::roles {

// The database role the exporter logs in as, and the OS user peer authentication maps to it.
inline constexpr std::string_view kMonitorRole = "pgha_monitor";
inline constexpr std::string_view kExporterUser = "prometheus";
// Creates kMonitorRole on the primary (a no-op on a replica); Patroni calls it back on start and
// on promotion, the exporter before it starts.
inline constexpr std::string_view kMonitorRoleScript = "/usr/local/sbin/pgha-monitor-role";
inline constexpr std::string_view kExporterConfigDir = "/etc/prometheus-postgres-exporter/";
inline constexpr std::string_view kExporterDropIn =
    "/etc/systemd/system/prometheus-postgres-exporter.service.d/pgha.conf";

struct PostgresExporter {
  std::string listen_address;  // [host]:port
  std::optional<MetricsTls> tls;
};

// The exporter's package, files and start; the node's pg_hba, pg_ident and Patroni callbacks for
// its role are RenderPatroni's.
absl::StatusOr<RolePieces> RenderPostgresExporter(const PostgresExporter& exporter);

}  // namespace pgha::roles
