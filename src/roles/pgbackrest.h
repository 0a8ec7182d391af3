// pgBackRest 2.45: a backup repository host serving its repository over
// pgBackRest's TLS server, and what a PostgreSQL node needs to archive its
// WAL there, restore from it and be backed up from it. Knows pgBackRest,
// not Terraform or libvirt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "roles/etcd_snapshots.h"
#include "roles/pieces.h"

namespace pgha::roles {

// Where Patroni keeps PostgreSQL's data: pg1-path of every stanza.
inline constexpr char kPostgresDataDir[] = "/var/lib/postgresql/data/15";
// The repository on its host; the data disk is mounted there.
inline constexpr char kRepositoryPath[] = "/var/lib/pgbackrest";

struct BackupStanza {
  std::string name;
  std::vector<HostEntry> postgres_nodes;    // their certificates' DNS names and addresses
  std::vector<std::string> client_cns;      // the nodes' certificate CNs
  int64_t retention_full = 0;
  int64_t retention_diff = 0;  // 0: as long as the full backup
  std::string full_schedule, diff_schedule;  // systemd calendar; diff may be empty
  std::string compress_type;
  std::string restores_from;  // a stanza these client CNs may read too; empty: none
};

struct BackupRepository {
  std::string address;  // the advertised address the TLS server binds
  int64_t port = 0;
  std::string ca_cert, server_cert, server_key;
  std::string cipher_passphrase;  // empty: not encrypted
  std::vector<BackupStanza> stanzas;
  // etcd clusters whose snapshots this host keeps (pgha's snapshot store); none: no store.
  std::vector<SnapshotCluster> etcd_clusters;
  int64_t snapshot_port = 0;
};

absl::StatusOr<RolePieces> RenderBackupRepository(const BackupRepository& repository);

// A PostgreSQL node's side: its pgbackrest.conf and its TLS server. The node's
// PostgreSQL certificate is its identity both ways; pgBackRest gets its own
// copy, so a renewed certificate restarts pgBackRest's server (which reads it
// at start) and nothing else.
struct NodeBackup {
  std::string address;  // the node's advertised address
  std::string ca_cert, cert, key;
  std::string repository_name;  // a DNS SAN of the repository's certificate
  std::string repository_address;
  int64_t repository_port = 0;
  std::string repository_cn;
  std::string stanza;
};

// A new cluster made from another's backup: what the bootstrapping node restores.
struct NodeRestore {
  std::string stanza;       // the source stanza, read only
  std::string target_time;  // RFC 3339 with a zone, as the schema takes it; empty: none
  std::string target_lsn;   // empty: none; both empty: the end of the archive
  bool target_inclusive = true;
  std::string backup_set;   // empty: pgBackRest's choice
};

// The node's pgbackrest.conf, its TLS server and, with `restore`, the source stanza's section.
absl::StatusOr<RolePieces> RenderNodeBackup(const NodeBackup& backup,
                                            const std::optional<NodeRestore>& restore = std::nullopt);

// An RFC 3339 moment read once: pgBackRest's form of it ("YYYY-MM-DD HH:MM:SS[.f]+HH:MM") and its
// whole seconds since 1970, or an error that says what is wrong with it. A zone is required: the
// guest's local time is nobody's intent.
struct Moment {
  std::string pgbackrest;
  int64_t epoch = 0;
};
absl::StatusOr<Moment> ParseMoment(const std::string& rfc3339);
// Whether `value` is a WAL location as PostgreSQL prints it (hex/hex).
bool IsWalLocation(const std::string& value);
// Whether `value` is a pgBackRest backup label (20261204-053000F, or a diff's/incr's F_..D/I form).
bool IsBackupLabel(const std::string& value);
// The command Patroni's custom bootstrap runs: restore the source to the target and promote there.
absl::StatusOr<std::string> RestoreBootstrapCommand(const NodeRestore& restore);

// PostgreSQL's archive_command: pgbackrest archive-push, which also lets go of a segment of a
// timeline the cluster left (templates/pgbackrest/pgha-pgbackrest-archive-push). Its name holds
// "pgbackrest": pgBackRest's check requires that of archive_command.
inline constexpr char kArchivePush[] = "/usr/local/sbin/pgha-pgbackrest-archive-push";

// The commands Patroni gives PostgreSQL and its replica creation.
std::string ArchiveCommand(const std::string& stanza);
std::string RestoreCommand(const std::string& stanza);
std::string ReplicaRestoreCommand(const std::string& stanza);

// Whether `value` can be a systemd calendar expression (OnCalendar=): its characters only; systemd
// itself judges the rest.
bool IsCalendarExpression(const std::string& value);
// Whether `value` can go in pgbackrest.conf as one value: no control character, no surrounding space.
absl::Status CheckIniValue(const std::string& what, const std::string& value);

}  // namespace pgha::roles
