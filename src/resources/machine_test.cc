// The shared VM lifecycle against the machine's real libvirtd (qemu driver,
// TCG), which scripts/test starts and names in PGHA_LIBVIRT_URI. Failures are
// real ones the daemon produces, not injected: each must leave nothing behind.
#include "resources/machine.h"

#include <unistd.h>

#include <cstdlib>

#include "gtest/gtest.h"
#include "libvirt/connection.h"

namespace pgha::resources {
namespace {

class MachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* uri = std::getenv("PGHA_LIBVIRT_URI");
    if (uri == nullptr || *uri == '\0') GTEST_SKIP() << "PGHA_LIBVIRT_URI unset: run through scripts/test";
    uri_ = uri;
    name_ = "pgha-machine-" + std::to_string(getpid());
  }
  void TearDown() override {
    if (!uri_.empty()) (void)DeleteMachine(uri_, name_, "pgha-test", Seed(), std::chrono::milliseconds(0), cancel_);
  }
  std::string Seed() const { return name_ + "-cloud-init.iso"; }

  MachineSpec Spec() const {
    MachineSpec spec;
    spec.uri = uri_;
    spec.domain.name = name_;
    spec.domain.type = "qemu";
    spec.domain.cpu_mode = "custom";
    spec.domain.memory_mib = 64;
    spec.domain.vcpus = 1;
    spec.domain.tcg_tb_cache_mib = 32;
    spec.seed_pool = "pgha-test";
    spec.seed_volume = Seed();
    spec.seed = {"#cloud-config\nhostname: \"x\"\n", "instance-id: \"i-1\"\n", "version: 2\nethernets: {}\n"};
    return spec;
  }

  // Nothing of this machine exists on the host.
  void ExpectNothingLeft() {
    auto conn = libvirt::Connection::Open(uri_);
    ASSERT_TRUE(conn.ok());
    EXPECT_TRUE(absl::IsNotFound(conn->LookupDomain(name_).status())) << "domain left behind";
    auto pool = conn->LookupPool("pgha-test");
    ASSERT_TRUE(pool.ok());
    EXPECT_TRUE(absl::IsNotFound(conn->LookupVolume(pool->get(), Seed()).status())) << "seed volume left behind";
  }

  std::string uri_, name_;
  Cancellation cancel_;
};

TEST_F(MachineTest, CreateReadDeleteAndDeleteAgain) {
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->running);
  EXPECT_FALSE(created->uuid.empty());
  EXPECT_EQ(created->memory_mib, 64);
  auto read = ReadMachine(uri_, name_);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->uuid, created->uuid);
  EXPECT_TRUE((*read)->running);
  ASSERT_TRUE(DeleteMachine(uri_, name_, "pgha-test", Seed(), std::chrono::milliseconds(500), cancel_).ok());
  ExpectNothingLeft();
  auto gone = ReadMachine(uri_, name_);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(DeleteMachine(uri_, name_, "pgha-test", Seed(), std::chrono::milliseconds(0), cancel_).ok());
}

TEST_F(MachineTest, DefinedButStoppedWhenNotRunning) {
  MachineSpec spec = Spec();
  spec.running = false;
  spec.autostart = true;
  auto created = CreateMachine(spec, cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->running);
  auto read = ReadMachine(uri_, name_);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_TRUE((*read)->autostart);
}

TEST_F(MachineTest, MissingPoolFailsBeforeMakingAnything) {
  MachineSpec spec = Spec();
  spec.seed_pool = "pgha-no-such-pool";
  auto created = CreateMachine(spec, cancel_);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(std::string(created.status().message()).find("finding cloud-init volume pool \"pgha-no-such-pool\""),
            std::string::npos);
  ExpectNothingLeft();
}

TEST_F(MachineTest, RejectedDefinitionRemovesTheSeed) {
  MachineSpec spec = Spec();
  spec.domain.memory_mib = -5;  // libvirt refuses the definition
  auto created = CreateMachine(spec, cancel_);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(std::string(created.status().message()).find("defining the domain failed"), std::string::npos)
      << created.status();
  ExpectNothingLeft();
}

TEST_F(MachineTest, FailedStartRemovesDomainAndSeed) {
  MachineSpec spec = Spec();
  spec.domain.interfaces = {{libvirt::InterfaceSpec::Kind::kNetwork, "pgha-no-such-network", "", ""}};
  auto created = CreateMachine(spec, cancel_);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(std::string(created.status().message()).find("starting the domain failed"), std::string::npos)
      << created.status();
  EXPECT_NE(std::string(created.status().message()).find("pgha-no-such-network"), std::string::npos);
  ExpectNothingLeft();
}

TEST_F(MachineTest, OwnSeedLeftBehindIsReplaced) {
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  // The domain is deleted outside Terraform; its seed stays behind.
  auto conn = libvirt::Connection::Open(uri_);
  auto domain = conn->LookupDomain(name_);
  ASSERT_TRUE(conn->StopDomain(domain->get(), std::chrono::milliseconds(0)).ok());
  ASSERT_TRUE(conn->UndefineDomain(domain->get()).ok());
  auto again = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->uuid, created->uuid);
}

TEST_F(MachineTest, ExistingVolumeOfTheSameNameIsNeverDeleted) {
  auto conn = libvirt::Connection::Open(uri_);
  ASSERT_TRUE(conn.ok());
  auto pool = conn->LookupPool("pgha-test");
  ASSERT_TRUE(pool.ok());
  auto theirs = conn->CreateVolumeWithData(pool->get(), Seed(), "someone else's data");
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(std::string(created.status().message()).find("uploading the cloud-init volume failed"),
            std::string::npos);
  EXPECT_TRUE(conn->LookupVolume(pool->get(), Seed()).ok()) << "an existing volume was deleted";
  EXPECT_TRUE(absl::IsNotFound(conn->LookupDomain(name_).status()));
}

}  // namespace
}  // namespace pgha::resources
