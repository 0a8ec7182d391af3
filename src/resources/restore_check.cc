#include "resources/restore_check.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_join.h"
#include "base/strings.h"

namespace pgha::resources {
namespace {

using value::Path;

// Whole seconds since 1970 of a moment the schema accepted (RFC 3339 with a zone).
std::optional<int64_t> EpochOf(const std::string& rfc3339) {
  auto normal = roles::PgbackrestTime(rfc3339);  // "YYYY-MM-DD HH:MM:SS[.f]+HH:MM"
  if (!normal.ok()) return std::nullopt;
  const std::string& t = *normal;
  std::tm tm{};
  tm.tm_year = std::stoi(t.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(t.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(t.substr(8, 2));
  tm.tm_hour = std::stoi(t.substr(11, 2));
  tm.tm_min = std::stoi(t.substr(14, 2));
  tm.tm_sec = std::stoi(t.substr(17, 2));
  const std::string zone = t.substr(t.size() - 6);  // "+HH:MM"
  const int64_t offset = (std::stoi(zone.substr(1, 2)) * 3600 + std::stoi(zone.substr(4, 2)) * 60) *
                         (zone[0] == '-' ? -1 : 1);
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

}  // namespace

void CheckRestoreTarget(const backup::StanzaInfo& source, const roles::NodeRestore& restore,
                        const std::string& repository, std::time_t now, value::Diagnostics& diags) {
  const Path at = Path::Of("restore");
  if (source.backups.empty()) {
    diags.AddError("Nothing to restore",
                   pgha::StrCat("The stanza \"", restore.stanza, "\" in ", repository, " has no backup yet (pgBackRest: ",
                                source.status, "). Take a full backup first (the repository's pgha-backup-",
                                restore.stanza, "-full.service, or wait for its schedule)."),
                   at.Attr("stanza"));
    return;
  }
  // The backup the restore starts from: the one named, else the oldest a target could use.
  const backup::Backup* base = &source.backups.front();
  if (!restore.backup_set.empty()) {
    const auto it = std::find_if(source.backups.begin(), source.backups.end(),
                                 [&](const backup::Backup& b) { return b.label == restore.backup_set; });
    if (it == source.backups.end()) {
      std::vector<std::string> labels;
      for (const auto& b : source.backups) labels.push_back(b.label);
      diags.AddError("Unknown backup set",
                     pgha::StrCat("The stanza \"", restore.stanza, "\" in ", repository, " holds no backup labelled \"",
                                  restore.backup_set, "\"; it holds ", absl::StrJoin(labels, ", "), "."),
                     at.Attr("backup_set"));
      return;
    }
    base = &*it;
  }
  if (!restore.target_time.empty()) {
    const auto target = EpochOf(restore.target_time);
    if (!target) return;  // the schema's check has said why
    if (*target < base->stop_epoch) {
      diags.AddError("The restore target is before the first restorable moment",
                     pgha::StrCat(restore.target_time, " is before ", backup::Rfc3339(base->stop_epoch), ", when ",
                                  restore.backup_set.empty() ? "the oldest backup of \"" : "the backup set of \"",
                                  restore.stanza, "\" (", base->label, ") ended: no backup in ", repository,
                                  " reaches it."),
                     at.Attr("target_time"));
    } else if (*target > static_cast<int64_t>(now)) {
      diags.AddError("The restore target is in the future",
                     pgha::StrCat(restore.target_time, " has not happened yet (it is ", backup::Rfc3339(now),
                                  "): PostgreSQL would end recovery before reaching it and refuse to start."),
                     at.Attr("target_time"));
    }
  }
  if (!restore.target_lsn.empty()) {
    const auto target = backup::WalLocation(restore.target_lsn);
    const auto consistent = backup::WalLocation(base->lsn_stop);
    if (target && consistent && *target < *consistent) {
      diags.AddError("The restore target is before the first restorable location",
                     pgha::StrCat(restore.target_lsn, " is before ", base->lsn_stop, ", where the backup ", base->label,
                                  " of \"", restore.stanza, "\" becomes consistent."),
                     at.Attr("target_lsn"));
    }
  }
}

}  // namespace pgha::resources
