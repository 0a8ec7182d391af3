// A store's directory listed through Debian's qemu-ga on this machine, as on
// the repository VM: snapshots oldest first, other files left out, a cluster
// with no directory reported unknown, a name that is not a label refused.
#include "backup/snapshots.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "support/real_agent.h"

namespace pgha::backup {
namespace {

class ListSnapshotsOnThisMachine : public pgha::testing::RealAgentTest {
 protected:
  void SetUp() override {
    RealAgentTest::SetUp();
    root_ = std::filesystem::temp_directory_path() / ("pgha-snapshots-" + std::to_string(getpid()));
    std::filesystem::create_directories(root_ / "main");
    for (const char* name : {"20261204T100000Z-r20.db", "20261204T090000Z-r10.db", ".upload-x1y2", "notes.txt"}) {
      std::ofstream(root_ / "main" / name) << "x";
    }
  }
  void TearDown() override {
    std::filesystem::remove_all(root_);
    RealAgentTest::TearDown();
  }
  std::filesystem::path root_;
};

TEST_F(ListSnapshotsOnThisMachine, OldestFirstOnlySnapshotsAndAnUnknownCluster) {
  agent::GuestAgent agent(*channel_);
  auto listing = ListSnapshots(agent, root_.string(), "main");
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_TRUE(listing->cluster_known);
  EXPECT_EQ(listing->names, (std::vector<std::string>{"20261204T090000Z-r10.db", "20261204T100000Z-r20.db"}));
  auto none = ListSnapshots(agent, root_.string(), "other");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->cluster_known);
  EXPECT_TRUE(none->names.empty());
  EXPECT_FALSE(ListSnapshots(agent, root_.string(), "../main").ok());
}

}  // namespace
}  // namespace pgha::backup
