// What an etcd member VM runs: etcd's configuration, certificates, systemd
// drop-in and the one-time authentication bootstrap, as cloud-init pieces.
// Knows etcd, not Terraform or libvirt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "roles/etcd_snapshots.h"
#include "roles/pieces.h"

namespace pgha::roles {

// A user the auth bootstrap creates, with readwrite on one key prefix
// (e.g. Patroni's /service/).
struct EtcdUser {
  std::string name;
  std::string password;
  std::string key_prefix;
};

struct EtcdMember {
  std::string name;
  std::string ip;  // the advertised address
  std::vector<std::pair<std::string, std::string>> initial_members;  // name, ip
  // etcd's `initial-cluster` as the running cluster gave it to a joining member
  // (name=peerURL,...); when set it stands instead of `initial_members`.
  std::string initial_cluster;
  std::string initial_token;
  // No defaults here: the schema (schemas/) holds them, and the resource reads them through it.
  bool is_initializing = false;
  std::string auto_compaction_mode;
  std::string auto_compaction_retention;
  int64_t space_quota = 0;
  int64_t heartbeat_interval_ms = 0, election_timeout_ms = 0;
  bool grpc_gateway_enabled = false;
  bool client_cert_auth = false;
  bool bootstrap_auth = false;
  std::string root_password;
  std::vector<EtcdUser> users;
  std::string ca_cert, server_cert, server_key;
  // The name every member's certificate carries, as its CN or among its SANs
  // (exactly one is set): the peer port refuses any other certificate.
  std::string peer_allowed_cn, peer_allowed_hostname;
  // Scheduled snapshots into the backup repository, and the one a new cluster starts from.
  std::optional<MemberSnapshots> snapshots;
};

absl::StatusOr<RolePieces> RenderEtcd(const EtcdMember& member);

// How a member at `ip` is reached: its peer URL (https://ip:2380) and client URL (https://ip:2379).
std::string EtcdPeerUrl(const std::string& ip);
std::string EtcdClientUrl(const std::string& ip);
// etcd's `initial-cluster` for these members (name, ip): "name=peerURL,...".
std::string EtcdInitialCluster(const std::vector<std::pair<std::string, std::string>>& members);

}  // namespace pgha::roles
