// pgBackRest 2.45: a backup repository host serving its repository over
// pgBackRest's TLS server, and what a PostgreSQL node needs to archive its
// WAL there, restore from it and be backed up from it. Knows pgBackRest,
// not Terraform or libvirt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
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
};

struct BackupRepository {
  std::string address;  // the advertised address the TLS server binds
  int64_t port = 0;
  std::string ca_cert, server_cert, server_key;
  std::string cipher_passphrase;  // empty: not encrypted
  std::vector<BackupStanza> stanzas;
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

absl::StatusOr<RolePieces> RenderNodeBackup(const NodeBackup& backup);

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
