// A restore target against a stanza as pgBackRest reported it (the services
// tier's repository: full backups that ended 2026-12-04T05:33:51Z and :58Z).
#include "resources/restore_check.h"

#include "gtest/gtest.h"

namespace pgha::resources {
namespace {

backup::StanzaInfo Services() {
  backup::StanzaInfo info;
  info.name = "services";
  info.status = "ok";
  backup::Backup first;
  first.label = "20261204-053349F";
  first.stop_epoch = 1796362431;  // 2026-12-04T05:33:51Z
  first.lsn_stop = "0/D000100";
  backup::Backup second = first;
  second.label = "20261204-053355F";
  second.stop_epoch = 1796362438;
  second.lsn_stop = "0/F000050";
  info.backups = {first, second};
  return info;
}

std::vector<std::string> Check(const backup::StanzaInfo& info, const roles::NodeRestore& restore) {
  value::Diagnostics diags;
  CheckRestoreTarget(info, restore, "backup-1", 1796362500, diags);
  std::vector<std::string> out;
  for (const auto& d : diags.items()) out.push_back(d.summary + " @ " + (d.path ? d.path->ToString() : ""));
  return out;
}

TEST(RestoreCheck, TargetsInsideTheWindowPass) {
  EXPECT_TRUE(Check(Services(), {"services", "", "", true, ""}).empty());
  EXPECT_TRUE(Check(Services(), {"services", "2026-12-04T05:34:00Z", "", true, ""}).empty());
  EXPECT_TRUE(Check(Services(), {"services", "2026-12-04 06:33:51+01:00", "", true, ""}).empty());
  EXPECT_TRUE(Check(Services(), {"services", "", "0/E000000", true, ""}).empty());
  EXPECT_TRUE(Check(Services(), {"services", "2026-12-04T05:34:00Z", "", true, "20261204-053355F"}).empty());
}

TEST(RestoreCheck, TargetsNoBackupReachesAreDiagnosedOnTheirAttribute) {
  const std::vector<std::string> early = Check(Services(), {"services", "2026-12-04T05:33:50Z", "", true, ""});
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0], "The restore target is before the first restorable moment @ restore.target_time");
  // Offsets count: 06:33:50+01:00 is the same moment.
  EXPECT_EQ(Check(Services(), {"services", "2026-12-04T06:33:50+01:00", "", true, ""}).size(), 1u);
  EXPECT_EQ(Check(Services(), {"services", "2026-12-04T05:36:00Z", "", true, ""})[0],
            "The restore target is in the future @ restore.target_time");
  EXPECT_EQ(Check(Services(), {"services", "", "0/D0000FF", true, ""})[0],
            "The restore target is before the first restorable location @ restore.target_lsn");
  EXPECT_EQ(Check(Services(), {"services", "", "", true, "20261203-010000F"})[0],
            "Unknown backup set @ restore.backup_set");
  // The named set is the start: a moment between the two backups is before the second one ended.
  EXPECT_EQ(Check(Services(), {"services", "2026-12-04T05:33:55Z", "", true, "20261204-053355F"})[0],
            "The restore target is before the first restorable moment @ restore.target_time");
  backup::StanzaInfo empty = Services();
  empty.backups.clear();
  empty.status = "no valid backups";
  EXPECT_EQ(Check(empty, {"services", "", "", true, ""})[0], "Nothing to restore @ restore.stanza");
}

}  // namespace
}  // namespace pgha::resources
