#include "libvirt/connection.h"

#include <cerrno>

#include "gtest/gtest.h"

namespace pgha::libvirt {
namespace {

TEST(Connection, FailedUploadLeavesNoVolume) {
  auto conn = Connection::Open("test:///default");
  ASSERT_TRUE(conn.ok());
  auto pool = conn->LookupPool("default-pool");
  ASSERT_TRUE(pool.ok()) << pool.status();
  // The test driver cannot upload: the half-made volume must be removed.
  auto vol = conn->CreateVolumeWithData(pool->get(), "seed.iso", "data");
  ASSERT_FALSE(vol.ok());
  EXPECT_NE(std::string(vol.status().message()).find("uploading to volume seed.iso"), std::string::npos);
  EXPECT_EQ(conn->LookupVolume(pool->get(), "seed.iso").status().code(), absl::StatusCode::kNotFound);
}

TEST(Connection, OnlyAnInterruptedStartIsRetried) {
  // What libvirt 9.0 raises when the kernel's BPF verifier gave up on a pending signal.
  EXPECT_TRUE(IsInterruptedStart(VIR_ERR_SYSTEM_ERROR, EAGAIN));
  // Any other system error, or EAGAIN's number under another code, is a real failure.
  EXPECT_FALSE(IsInterruptedStart(VIR_ERR_SYSTEM_ERROR, ENOMEM));
  EXPECT_FALSE(IsInterruptedStart(VIR_ERR_SYSTEM_ERROR, 0));
  EXPECT_FALSE(IsInterruptedStart(VIR_ERR_INTERNAL_ERROR, EAGAIN));
  EXPECT_FALSE(IsInterruptedStart(VIR_ERR_OPERATION_INVALID, EAGAIN));
}

TEST(Connection, BadUriIsAnErrorWithLibvirtsReason) {
  auto conn = Connection::Open("nosuchdriver:///x");
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(std::string(conn.status().message()).find("connecting to libvirt at nosuchdriver:///x"),
            std::string::npos);
}

}  // namespace
}  // namespace pgha::libvirt

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cloudinit/iso9660.h"
#include "libvirt/domain_spec.h"

namespace pgha::libvirt {
namespace {

// Against the machine's real libvirtd with the qemu driver, which
// scripts/test starts (scripts/libvirtd) and names in PGHA_LIBVIRT_URI.
class RealLibvirt : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* uri = std::getenv("PGHA_LIBVIRT_URI");
    if (uri == nullptr || *uri == '\0') GTEST_SKIP() << "PGHA_LIBVIRT_URI unset: run through scripts/test";
    auto conn = Connection::Open(uri);
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::make_unique<Connection>(*std::move(conn));
    name_ = "pgha-it-" + std::to_string(getpid());
  }
  void TearDown() override {
    if (!conn_) return;
    // Best effort, so a failed run leaves nothing behind either.
    if (auto d = conn_->LookupDomain(name_); d.ok()) {
      (void)conn_->StopDomain(d->get(), std::chrono::milliseconds(0));
      (void)conn_->UndefineDomain(d->get());
    }
    if (auto pool = conn_->LookupPool("pgha-test"); pool.ok()) {
      if (auto v = conn_->LookupVolume(pool->get(), name_ + ".iso"); v.ok()) (void)conn_->DeleteVolume(v->get());
    }
  }
  std::unique_ptr<Connection> conn_;
  std::string name_;
};

TEST_F(RealLibvirt, UploadsTheSeedAndRunsADomainUnderQemu) {
  auto pool = conn_->LookupPool("pgha-test");
  ASSERT_TRUE(pool.ok()) << pool.status();
  const std::string iso = cloudinit::BuildIso("cidata", {{"user-data", "#cloud-config\n"}, {"meta-data", "x\n"}});
  auto vol = conn_->CreateVolumeWithData(pool->get(), name_ + ".iso", iso);
  ASSERT_TRUE(vol.ok()) << vol.status();
  auto path = conn_->VolumePath(vol->get());
  ASSERT_TRUE(path.ok());
  std::ifstream in(*path, std::ios::binary);
  std::stringstream uploaded;
  uploaded << in.rdbuf();
  EXPECT_EQ(uploaded.str(), iso);

  DomainSpec spec;
  spec.name = name_;
  spec.type = "qemu";  // TCG: these machines have no usable hardware virtualisation
  spec.cpu_mode = "custom";
  spec.memory_mib = 64;
  spec.vcpus = 1;
  spec.tcg_tb_cache_mib = 32;
  spec.disks = {{DiskSpec::Device::kCdrom, *path, "raw", "hdc", "ide", true}};
  auto domain = conn_->DefineDomain(RenderDomainXml(spec));
  ASSERT_TRUE(domain.ok()) << domain.status();
  ASSERT_TRUE(conn_->StartDomain(domain->get()).ok());
  EXPECT_TRUE(conn_->GetDomainInfo(domain->get())->running);
  // A start that fails for any reason but an interrupted one fails at once,
  // with libvirt's own message (the retry path must not lose it).
  const absl::Status again = conn_->StartDomain(domain->get());
  EXPECT_TRUE(absl::IsFailedPrecondition(again)) << again;
  EXPECT_NE(std::string(again.message()).find("starting the domain: "), std::string::npos) << again;
  EXPECT_NE(std::string(again.message()).find("already running"), std::string::npos) << again;
  auto xml = conn_->DomainXml(domain->get());
  ASSERT_TRUE(xml.ok());
  EXPECT_NE(xml->find("tb-cache"), std::string::npos);
  // No guest OS answers ACPI here: the grace period ends and the domain is forced off.
  ASSERT_TRUE(conn_->StopDomain(domain->get(), std::chrono::seconds(1)).ok());
  EXPECT_FALSE(conn_->GetDomainInfo(domain->get())->running);
  // Stopped means QEMU is gone, so undefining removes the domain at once.
  EXPECT_FALSE(Connection::IsActive(domain->get()));
  ASSERT_TRUE(conn_->UndefineDomain(domain->get()).ok());
  EXPECT_TRUE(absl::IsNotFound(conn_->LookupDomain(name_).status()));
  // Undefining never touches storage.
  EXPECT_TRUE(std::filesystem::exists(*path));
  ASSERT_TRUE(conn_->DeleteVolume(vol->get()).ok());
  EXPECT_FALSE(std::filesystem::exists(*path));
}

}  // namespace
}  // namespace pgha::libvirt
