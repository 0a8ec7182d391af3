// pgBackRest 2.45's info read back: the report below is what `pgbackrest
// --stanza=services --output=json info` printed for the services tier's
// repository (two full backups after a switchover to timeline 2).
#include "backup/info.h"

#include "gtest/gtest.h"
#include "support/real_agent.h"

namespace pgha::backup {
namespace {

constexpr const char* kServices = R"([{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000020000000000000010","min":"00000002000000000000000D"}],"backup":[{"archive":{"start":"00000002000000000000000D","stop":"00000002000000000000000D"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,"info":{"delta":23097580,"repository":{"delta":4574224,"size":4574224},"size":23097580},"label":"20261204-053349F","lsn":{"start":"0/D000028","stop":"0/D000100"},"prior":null,"reference":null,"timestamp":{"start":1796362429,"stop":1796362431},"type":"full"},{"archive":{"start":"00000002000000000000000E","stop":"00000002000000000000000F"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,"info":{"delta":23097580,"repository":{"delta":4574224,"size":4574224},"size":23097580},"label":"20261204-053355F","lsn":{"start":"0/E000028","stop":"0/F000050"},"prior":null,"reference":null,"timestamp":{"start":1796362435,"stop":1796362438},"type":"full"}],"cipher":"aes-256-cbc","db":[{"id":1,"repo-key":1,"system-id":7715317580802716885,"version":"15"}],"name":"services","repo":[{"cipher":"aes-256-cbc","key":1,"status":{"code":0,"message":"ok"}}],"status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}])";

constexpr const char* kMissing =
    R"([{"archive":[],"backup":[],"cipher":"aes-256-cbc","db":[],"name":"nosuch","repo":[{"cipher":"aes-256-cbc",)"
    R"("key":1,"status":{"code":1,"message":"missing stanza path"}}],"status":{"code":1,"lock":{"backup":)"
    R"({"held":false}},"message":"missing stanza path"}}])";

TEST(BackupInfo, BackupsOldestFirstAndTheArchivedSpan) {
  auto info = ParseInfo(kServices, "services");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status_code, 0);
  EXPECT_EQ(info->status, "ok");
  EXPECT_EQ(info->cipher, "aes-256-cbc");
  ASSERT_EQ(info->backups.size(), 2u);
  const Backup& first = info->backups[0];
  EXPECT_EQ(first.label, "20261204-053349F");
  EXPECT_EQ(first.type, "full");
  EXPECT_EQ(first.prior, "");
  EXPECT_EQ(first.start_epoch, 1796362429);
  EXPECT_EQ(first.stop_epoch, 1796362431);
  EXPECT_EQ(first.database_size, 23097580);
  EXPECT_EQ(first.repository_size, 4574224);
  EXPECT_EQ(first.wal_start, "00000002000000000000000D");
  EXPECT_EQ(info->backups[1].label, "20261204-053355F");
  EXPECT_EQ(info->wal_min, "00000002000000000000000D");
  EXPECT_EQ(info->wal_max, "000000020000000000000010");
  EXPECT_EQ(first.lsn_stop, "0/D000100");
  EXPECT_EQ(Rfc3339(first.stop_epoch), "2026-12-04T05:33:51Z");
}

TEST(BackupInfo, WalLocationsOrderAsPositions) {
  EXPECT_EQ(WalLocation("0/D000100"), 0xD000100u);
  EXPECT_EQ(WalLocation("16/B374D848"), (uint64_t{0x16} << 32) | 0xB374D848u);
  EXPECT_LT(*WalLocation("0/FFFFFFFF"), *WalLocation("1/0"));
  for (const char* bad : {"", "/1", "1/", "0/3000060x", "123456789/0", "0x1/2"}) EXPECT_FALSE(WalLocation(bad)) << bad;
}

TEST(BackupInfo, AStanzaTheRepositoryDoesNotHoldAndReportsThatAreNotInfo) {
  auto info = ParseInfo(kMissing, "nosuch");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status_code, kMissingStanzaPath);
  EXPECT_TRUE(info->backups.empty());
  EXPECT_EQ(info->wal_min, "");
  EXPECT_FALSE(ParseInfo(kServices, "other").ok());
  EXPECT_FALSE(ParseInfo("ERROR: [055]: unable to load info file", "services").ok());
  EXPECT_FALSE(ParseInfo(R"({"name": "services"})", "services").ok());
  EXPECT_FALSE(ParseInfo(R"([{"name": "services", "backup": [{"type": "full"}]}])", "services").ok());
}

// Through Debian's qemu-ga on this machine, as on the repository VM: pgBackRest runs as postgres,
// and a stanza the repository does not hold says so in its status.
using ReadInfoOnThisMachine = pgha::testing::RealAgentTest;

TEST_F(ReadInfoOnThisMachine, AStanzaThatIsNotThereIsReportedMissing) {
  agent::GuestAgent agent(*channel_);
  auto info = ReadInfo(agent, "pgha-unit-test-none");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status_code, kMissingStanzaPath);
  EXPECT_EQ(info->status, "missing stanza path");
  EXPECT_TRUE(info->backups.empty());
}

}  // namespace
}  // namespace pgha::backup
