// What a stanza of a pgBackRest repository can restore: `pgbackrest info` run
// on the repository host through its guest agent, as the repository's own
// user, and its JSON read into backups and the span of archived WAL. Knows
// pgBackRest 2.45's report, not Terraform.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent.h"

namespace pgha::backup {

struct Backup {
  std::string label, type, prior;
  int64_t start_epoch = 0, stop_epoch = 0;  // seconds since 1970, UTC
  int64_t database_size = 0, repository_size = 0;
  std::string wal_start, wal_stop;
  std::string lsn_start, lsn_stop;  // "0/D000028": the backup is consistent from lsn_stop on
};

struct StanzaInfo {
  std::string name;
  int status_code = 0;  // pgBackRest's: 0 ok, 1 missing stanza path, 2 no valid backups, ...
  std::string status;   // its message
  std::string cipher;
  std::vector<Backup> backups;  // oldest first
  std::string wal_min, wal_max;  // over every database of the stanza; empty when none is archived
};

// pgBackRest's status code for a stanza the repository has never seen.
inline constexpr int kMissingStanzaPath = 1;

// Parses `pgbackrest --stanza=<stanza> --output=json info`: the one stanza it reports.
absl::StatusOr<StanzaInfo> ParseInfo(std::string_view json, const std::string& stanza);

// Runs it on the repository host. A stanza the repository does not hold is a report with
// status_code kMissingStanzaPath, for the caller to judge.
absl::StatusOr<StanzaInfo> ReadInfo(agent::GuestAgent& agent, const std::string& stanza);

// An epoch as RFC 3339 in UTC ("2026-12-04T05:30:00Z").
std::string Rfc3339(int64_t epoch);

// A WAL location ("16/B374D848") as a number, for ordering; nullopt when it is not one.
std::optional<uint64_t> WalLocation(std::string_view text);

}  // namespace pgha::backup
