// What a PostgreSQL node VM runs: Patroni managing PostgreSQL 15, with TLS
// and scram-sha-256 everywhere, Patroni's REST API behind client
// certificates, its DCS in etcd over TLS, and a watchdog. Knows Patroni and
// PostgreSQL, not Terraform or libvirt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "roles/pgbackrest.h"
#include "roles/postgres_exporter.h"
#include "roles/pieces.h"

namespace pgha::roles {

// Patroni starts through pgha's launcher (it guards Patroni 3.0.2's leader-key renewal), named in a
// drop-in of patroni.service.
inline constexpr char kPatroniLauncher[] = "/usr/local/sbin/pgha-patroni";
inline constexpr char kPatroniDropIn[] = "/etc/systemd/system/patroni.service.d/pgha.conf";

enum class ReplicationMode { kSynchronousStrict, kSynchronous, kAsynchronous };

struct PatroniNode {
  std::string name;       // Patroni member name
  std::string ip;         // the advertised address
  std::vector<std::string> client_networks;  // CIDRs pg_hba admits (over TLS, with scram)

  // PostgreSQL
  std::vector<std::pair<std::string, std::string>> parameters;  // cluster-wide, in the DCS
  std::string superuser_password, replicator_password, rewind_password;
  std::string ca_cert, server_cert, server_key;

  // etcd (the DCS)
  std::vector<std::string> etcd_endpoints;  // host:port
  std::string etcd_ca_cert, etcd_username, etcd_password, etcd_client_cert, etcd_client_key;

  // Patroni
  // Settings without defaults here: the schema (schemas/) holds them, and the
  // resource reads them through it.
  std::string scope;
  std::string namespace_;
  int64_t ttl = 0, loop_wait = 0, retry_timeout = 0;
  int64_t primary_start_timeout = 0;
  std::optional<int64_t> primary_stop_timeout;
  int64_t watchdog_safety_margin = 0;
  std::string watchdog_mode;
  ReplicationMode mode = ReplicationMode::kSynchronousStrict;  // the safe one, should a caller forget
  int64_t synchronous_node_count = 0;
  int64_t maximum_lag_on_failover = 0;
  bool use_pg_rewind = false;
  std::string rest_ca_cert, rest_cert, rest_key;
  // Where superuser, rewind and replication logins may come from (IP or
  // CIDR); empty: from client_networks.
  std::vector<std::string> member_addresses;
  // Basic authentication on the REST API's unsafe calls; none when empty.
  std::string rest_username, rest_password;

  // Archiving to a pgBackRest repository; none when unset.
  std::optional<NodeBackup> backup;
  int64_t archive_timeout = 0;       // seconds
  bool replica_from_backup = false;  // create_replica_methods: pgbackrest, then basebackup
  // Bootstraps from another cluster's backup instead of initdb; needs `backup`.
  std::optional<NodeRestore> restore;

  // PostgreSQL's metrics for Prometheus; none when unset.
  std::optional<PostgresExporter> exporter;
};

absl::StatusOr<RolePieces> RenderPatroni(const PatroniNode& node);

}  // namespace pgha::roles
