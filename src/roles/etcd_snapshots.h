// etcd snapshots in the backup repository: the store on the repository host
// (pgha-snapshot-store, HTTPS with mutual TLS, one directory per etcd
// cluster) and, on each etcd member, the scheduled job that uploads a
// snapshot when the member leads, and the restore a new cluster's members run
// before etcd first starts. Knows etcd and the store, not Terraform or libvirt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "roles/pieces.h"

namespace pgha::roles {

// Where the snapshots of the etcd clusters live on the repository host (its data disk).
inline constexpr char kSnapshotStorePath[] = "/var/lib/pgbackrest/etcd";

// One etcd cluster's snapshots in the store.
struct SnapshotCluster {
  std::string name;
  std::vector<std::string> client_cns;  // the members' certificate CNs: they upload, and read
  int64_t retention = 0;                // snapshots kept
  std::string restores_from;            // a cluster these CNs may read (never write); empty: none
};

// The store on the repository host, beside pgBackRest's server and with its certificate.
absl::Status AddSnapshotStore(const std::string& address, int64_t port, const std::vector<SnapshotCluster>& clusters,
                              RolePieces& out);

// A new etcd cluster made from a snapshot: every member restores the same one.
struct SnapshotRestore {
  std::string cluster;   // the source cluster in the store
  std::string snapshot;  // its name, as the store lists it
};

// A member's side.
struct MemberSnapshots {
  std::string repository_name;  // a DNS SAN of the repository's certificate
  std::string repository_address;
  int64_t repository_port = 0;
  std::string cluster;   // this cluster's name in the store
  std::string schedule;  // systemd calendar expression
  std::string root_cert, root_key;  // a user with etcd's root role, by certificate (snapshots need it)
  std::optional<SnapshotRestore> restore;
};

// The member's job, timer and configuration. With a restore, `restore_step` is the command that
// builds the data directory: it must run before etcd first starts.
struct MemberSnapshotPieces {
  RolePieces pieces;
  std::vector<std::string> restore_step;  // empty without a restore
};
absl::StatusOr<MemberSnapshotPieces> RenderMemberSnapshots(const MemberSnapshots& snapshots);

// Whether `name` is a snapshot's name as the store gives it (20261204T083000Z-r1234.db).
bool IsSnapshotName(const std::string& name);

}  // namespace pgha::roles
