// What a load balancer VM runs: HAProxy sending PostgreSQL traffic and
// Patroni API calls to the current leader, found by HTTPS health checks of
// each node's Patroni REST API with a client certificate. Nodes come from a
// static list or from DNS. Knows HAProxy, not Terraform or libvirt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "roles/metrics_tls.h"
#include "roles/pieces.h"

namespace pgha::roles {

struct BackendNode {
  std::string name;     // must match a DNS SAN of the node's REST certificate
  std::string address;  // IP address
};

struct LoadBalancer {
  std::vector<BackendNode> nodes;  // static list; when empty, DNS below
  std::string domain;              // resolves to every node
  std::vector<std::string> nameservers;
  int64_t max_nodes = 0;  // defaults live in schemas/
  std::string patroni_ca_cert, client_cert, client_key;
  std::string connect_timeout, check_timeout, idle_timeout;
  // Read-only ports; 0 = none.
  int64_t replica_port = 0, sync_standby_port = 0;
  int64_t replica_max_lag_bytes = 0;
  // The Prometheus endpoint, on `advertised_ip`; 0 = none. HTTPS when metrics_tls is set.
  int64_t metrics_port = 0;
  std::optional<MetricsTls> metrics_tls;
  std::string advertised_ip;
};

absl::StatusOr<RolePieces> RenderHaproxy(const LoadBalancer& lb);

}  // namespace pgha::roles
