#include "backup/info.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace pgha::backup {
namespace {

using json = nlohmann::json;

std::string StringOr(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t IntOr(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

const json& ObjectOr(const json& j, const char* key) {
  static const json kEmpty = json::object();
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

}  // namespace

std::string Rfc3339(int64_t epoch) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::optional<uint64_t> WalLocation(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 8 || text.size() - slash - 1 == 0 ||
      text.size() - slash - 1 > 8) {
    return std::nullopt;
  }
  uint64_t high = 0, low = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == slash) continue;
    const char c = text[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0) return std::nullopt;
    uint64_t& part = i < slash ? high : low;
    part = part * 16 + static_cast<uint64_t>(digit);
  }
  return (high << 32) | low;
}

absl::StatusOr<StanzaInfo> ParseInfo(std::string_view text, const std::string& stanza) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return absl::InvalidArgumentError("pgBackRest's info is not a JSON list");
  }
  for (const auto& s : doc) {
    if (!s.is_object() || StringOr(s, "name") != stanza) continue;
    StanzaInfo info;
    info.name = stanza;
    const json& status = ObjectOr(s, "status");
    info.status_code = static_cast<int>(IntOr(status, "code"));
    info.status = StringOr(status, "message");
    info.cipher = StringOr(s, "cipher");
    if (const auto it = s.find("backup"); it != s.end() && it->is_array()) {
      for (const auto& b : *it) {
        Backup backup;
        backup.label = StringOr(b, "label");
        backup.type = StringOr(b, "type");
        backup.prior = StringOr(b, "prior");
        backup.start_epoch = IntOr(ObjectOr(b, "timestamp"), "start");
        backup.stop_epoch = IntOr(ObjectOr(b, "timestamp"), "stop");
        const json& sizes = ObjectOr(b, "info");
        backup.database_size = IntOr(sizes, "size");
        backup.repository_size = IntOr(ObjectOr(sizes, "repository"), "delta");
        backup.wal_start = StringOr(ObjectOr(b, "archive"), "start");
        backup.wal_stop = StringOr(ObjectOr(b, "archive"), "stop");
        backup.lsn_start = StringOr(ObjectOr(b, "lsn"), "start");
        backup.lsn_stop = StringOr(ObjectOr(b, "lsn"), "stop");
        if (backup.label.empty()) return absl::InvalidArgumentError("pgBackRest's info lists a backup without a label");
        info.backups.push_back(std::move(backup));
      }
    }
    if (const auto it = s.find("archive"); it != s.end() && it->is_array()) {
      for (const auto& a : *it) {
        // A segment's name sorts as its WAL position: timeline first, then log and segment.
        const std::string min = StringOr(a, "min"), max = StringOr(a, "max");
        if (!min.empty() && (info.wal_min.empty() || min < info.wal_min)) info.wal_min = min;
        if (!max.empty() && max > info.wal_max) info.wal_max = max;
      }
    }
    return info;
  }
  return absl::InvalidArgumentError(pgha::StrCat("pgBackRest's info does not list the stanza ", stanza));
}

absl::StatusOr<StanzaInfo> ReadInfo(agent::GuestAgent& agent, const std::string& stanza) {
  // As the repository's owner, like its units: a root run would leave root-owned logs behind.
  agent::Command command;
  command.argv = {"/usr/sbin/runuser", "-u", "postgres", "--", "/usr/bin/pgbackrest", "--stanza=" + stanza,
                  "--output=json", "--log-level-file=off", "info"};
  command.deadline = std::chrono::seconds(60);
  command.max_output = 4 << 20;
  auto outcome = agent.Run(command);
  if (!outcome.ok()) return outcome.status();
  if (outcome->exit_code != 0 || outcome->truncated) {
    return absl::UnavailableError(pgha::StrCat("pgbackrest info exited ", outcome->exit_code,
                                               outcome->truncated ? " (its output was cut short)" : "", ": ",
                                               outcome->err.empty() ? outcome->out : outcome->err));
  }
  return ParseInfo(outcome->out, stanza);
}

}  // namespace pgha::backup
