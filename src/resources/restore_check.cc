#include "resources/restore_check.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "base/strings.h"

namespace pgha::resources {

using value::Path;

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
    const auto moment = roles::ParseMoment(restore.target_time);
    if (!moment.ok()) return;  // the plan-time check has said why
    const int64_t target = moment->epoch;
    if (target < base->stop_epoch) {
      diags.AddError("The restore target is before the first restorable moment",
                     pgha::StrCat(restore.target_time, " is before ", backup::Rfc3339(base->stop_epoch), ", when ",
                                  restore.backup_set.empty() ? "the oldest backup of \"" : "the backup set of \"",
                                  restore.stanza, "\" (", base->label, ") ended: no backup in ", repository,
                                  " reaches it."),
                     at.Attr("target_time"));
    } else if (target > static_cast<int64_t>(now)) {
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
