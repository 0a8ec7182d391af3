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
    if (uri_.empty()) return;
    (void)DeleteMachine(Ref(""), std::chrono::milliseconds(0), cancel_);
    auto conn = libvirt::Connection::Open(uri_);
    if (!conn.ok()) return;
    if (auto d = conn->LookupDomain(name_); d.ok()) {
      (void)conn->StopDomain(d->get(), std::chrono::milliseconds(0));
      (void)conn->UndefineDomain(d->get());
    }
    if (auto pool = conn->LookupPool("pgha-test"); pool.ok()) {
      for (const auto& n : {Seed(), Seed() + ".b"}) {
        if (auto v = conn->LookupVolume(pool->get(), n); v.ok()) (void)conn->DeleteVolume(v->get());
      }
    }
  }
  std::string Seed() const { return name_ + "-cloud-init.iso"; }
  MachineRef Ref(const std::string& uuid) const { return {uri_, uuid, name_, "pgha-test", Seed()}; }

  // A domain of the machine's name that pgha did not make.
  std::string DefineForeignDomain(const std::string& cdrom_path = "") {
    libvirt::DomainSpec foreign;
    foreign.name = name_;
    foreign.type = "qemu";
    foreign.cpu_mode = "custom";
    foreign.memory_mib = 32;
    foreign.vcpus = 1;
    if (!cdrom_path.empty()) {
      foreign.disks.push_back({libvirt::DiskSpec::Device::kCdrom, cdrom_path, "raw", "hdc", "ide", true});
    }
    auto conn = libvirt::Connection::Open(uri_);
    auto d = conn->DefineDomain(libvirt::RenderDomainXml(foreign));
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? libvirt::Connection::DomainUuid(d->get()) : "";
  }

  std::string CdromOf(const std::string& uuid) {
    auto conn = libvirt::Connection::Open(uri_);
    auto d = conn->LookupDomainByUuid(uuid);
    EXPECT_TRUE(d.ok());
    auto xml = conn->DomainXml(d->get(), /*definition=*/true);
    const auto at = xml->find("<source file='", xml->find("device='cdrom'"));
    return at == std::string::npos ? "" : xml->substr(at + 14, xml->find('\'', at + 14) - at - 14);
  }

  bool VolumeExists(const std::string& name) {
    auto conn = libvirt::Connection::Open(uri_);
    auto pool = conn->LookupPool("pgha-test");
    return conn->LookupVolume(pool->get(), name).ok();
  }

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
  auto read = ReadMachine(Ref(created->uuid));
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->uuid, created->uuid);
  EXPECT_TRUE((*read)->running);
  EXPECT_TRUE((*read)->autostart);  // the default: the cluster comes back after a host reboot
  ASSERT_TRUE(DeleteMachine(Ref(created->uuid), std::chrono::milliseconds(500), cancel_).ok());
  ExpectNothingLeft();
  auto gone = ReadMachine(Ref(created->uuid));
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(DeleteMachine(Ref(created->uuid), std::chrono::milliseconds(0), cancel_).ok());
}

TEST_F(MachineTest, DefinedButStoppedWhenNotRunning) {
  MachineSpec spec = Spec();
  spec.running = false;
  spec.autostart = false;
  auto created = CreateMachine(spec, cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->running);
  auto read = ReadMachine(Ref(created->uuid));
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_FALSE((*read)->autostart);
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
  EXPECT_NE(std::string(created.status().message()).find("is not a pgha cloud-init volume"), std::string::npos)
      << created.status();
  auto still = conn->LookupVolume(pool->get(), Seed());
  ASSERT_TRUE(still.ok()) << "an existing volume was deleted";
  EXPECT_EQ(*conn->ReadVolume(still->get(), 0, 100), "someone else's data");
  EXPECT_TRUE(absl::IsNotFound(conn->LookupDomain(name_).status()));
}

TEST_F(MachineTest, ARetriedCreateAdoptsOnlyItsOwnUnfinishedDomain) {
  // The first attempt "crashed" after Create made everything: Terraform never recorded it.
  auto first = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(first.ok()) << first.status();
  MachineSpec changed = Spec();
  changed.domain.memory_mib = 96;  // another definition: not the same creation
  auto other = CreateMachine(changed, cancel_);
  EXPECT_TRUE(absl::IsAlreadyExists(other.status())) << other.status();
  auto retried = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->uuid, first->uuid);
  EXPECT_TRUE(retried->running);
  // Once Terraform has read it through its UUID, it is Terraform's, and no Create adopts it again.
  ASSERT_TRUE(ReadMachine(Ref(first->uuid)).ok());
  auto again = CreateMachine(Spec(), cancel_);
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_NE(std::string(again.status().message()).find(first->uuid), std::string::npos);
}

TEST_F(MachineTest, InterruptedUploadIsRecognisedAndReplaced) {
  auto conn = libvirt::Connection::Open(uri_);
  auto pool = conn->LookupPool("pgha-test");
  // What a kill during the upload leaves: the volume at its full size, the descriptors never written.
  auto partial = conn->CreateVolumeWithData(pool->get(), Seed(), std::string(40 * 2048, '\0'));
  ASSERT_TRUE(partial.ok()) << partial.status();
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(CdromOf(created->uuid), *conn->VolumePath(conn->LookupVolume(pool->get(), Seed())->get()));
}

TEST_F(MachineTest, ExistingDomainOfTheNameIsNeitherAdoptedNorTouched) {
  // Another owner's domain of this machine's name.
  auto conn = libvirt::Connection::Open(uri_);
  const std::string uuid = DefineForeignDomain();
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_FALSE(created.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(created.status())) << created.status();
  const std::string m(created.status().message());
  EXPECT_NE(m.find(uuid), std::string::npos) << m;
  EXPECT_NE(m.find("terraform import"), std::string::npos) << m;
  EXPECT_NE(m.find("virsh undefine"), std::string::npos) << m;
  auto still = conn->LookupDomain(name_);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(libvirt::Connection::DomainUuid(still->get()), uuid);
  EXPECT_FALSE(VolumeExists(Seed())) << "Create made a seed for a domain it refused";
}

TEST_F(MachineTest, ASeedAttachedToAnotherDomainIsNeverDeleted) {
  // A pgha seed at this machine's seed name that a domain of another name uses.
  MachineSpec first = Spec();
  auto created = CreateMachine(first, cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  auto conn = libvirt::Connection::Open(uri_);
  auto d = conn->LookupDomainByUuid(created->uuid);
  ASSERT_TRUE(conn->StopDomain(d->get(), std::chrono::milliseconds(0)).ok());
  // Renamed by hand: the seed now belongs to a domain this machine cannot claim.
  ASSERT_EQ(libvirt::Virt().virDomainRename(d->get(), (name_ + "-renamed").c_str(), 0), 0);
  auto again = CreateMachine(Spec(), cancel_);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(std::string(again.status().message()).find("is attached to domain " + name_ + "-renamed"),
            std::string::npos)
      << again.status();
  EXPECT_TRUE(VolumeExists(Seed()));
  ASSERT_TRUE(DeleteMachine({uri_, created->uuid, name_ + "-renamed", "pgha-test", Seed()},
                            std::chrono::milliseconds(0), cancel_).ok());
  ExpectNothingLeft();
}

TEST_F(MachineTest, ReplaceSeedUploadsUnderTheOtherNameBeforeDeletingTheOld) {
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  auto conn = libvirt::Connection::Open(uri_);
  auto pool = conn->LookupPool("pgha-test");
  const std::string first = *conn->VolumePath(conn->LookupVolume(pool->get(), Seed())->get());
  EXPECT_EQ(CdromOf(created->uuid), first);
  SeedDocuments next = Spec().seed;
  next.user_data = "#cloud-config\nhostname: \"y\"\n";
  { auto r = ReplaceSeed(Ref(created->uuid), next, false, std::chrono::milliseconds(0), cancel_); ASSERT_TRUE(r.ok()) << r; }
  EXPECT_FALSE(VolumeExists(Seed()));
  ASSERT_TRUE(VolumeExists(Seed() + ".b"));
  const std::string second = *conn->VolumePath(conn->LookupVolume(pool->get(), Seed() + ".b")->get());
  EXPECT_EQ(CdromOf(created->uuid), second);
  // Off, then on again: the definition names the new media too, not the deleted one.
  auto d = conn->LookupDomainByUuid(created->uuid);
  ASSERT_TRUE(conn->StopDomain(d->get(), std::chrono::milliseconds(0)).ok());
  ASSERT_TRUE(conn->StartDomain(d->get()).ok());
  EXPECT_EQ(CdromOf(created->uuid), second);
  next.user_data = "#cloud-config\nhostname: \"z\"\n";
  { auto r = ReplaceSeed(Ref(created->uuid), next, false, std::chrono::milliseconds(0), cancel_); ASSERT_TRUE(r.ok()) << r; }
  EXPECT_EQ(CdromOf(created->uuid), first);
  EXPECT_FALSE(VolumeExists(Seed() + ".b"));
  ASSERT_TRUE(DeleteMachine(Ref(created->uuid), std::chrono::milliseconds(0), cancel_).ok());
  ExpectNothingLeft();
}

TEST_F(MachineTest, ADomainThatTookTheNameIsNeverReadAsOursNorDeleted) {
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  // Ours is removed behind Terraform's back and another domain takes the name.
  auto conn = libvirt::Connection::Open(uri_);
  auto d = conn->LookupDomainByUuid(created->uuid);
  ASSERT_TRUE(conn->StopDomain(d->get(), std::chrono::milliseconds(0)).ok());
  ASSERT_TRUE(conn->UndefineDomain(d->get()).ok());
  const std::string foreign = DefineForeignDomain();
  auto read = ReadMachine(Ref(created->uuid));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value()) << "another domain was read as this machine";
  EXPECT_FALSE(UpdateMachine(Ref(created->uuid), false, false, std::chrono::milliseconds(0), cancel_).ok());
  ASSERT_TRUE(DeleteMachine(Ref(created->uuid), std::chrono::milliseconds(0), cancel_).ok());
  auto still = conn->LookupDomain(name_);
  ASSERT_TRUE(still.ok()) << "the other domain was destroyed";
  EXPECT_EQ(libvirt::Connection::DomainUuid(still->get()), foreign);
  EXPECT_FALSE(VolumeExists(Seed())) << "our own seed stays behind";
}

TEST_F(MachineTest, CancelledStopNeverForcesTheGuestOffNorStartsIt) {
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  Cancellation stop;
  stop.Cancel();
  // The guest boots no OS, so it ignores ACPI: only a forced power-off could stop it.
  auto s = UpdateMachine(Ref(created->uuid), false, true, std::chrono::seconds(30), stop);
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  auto read = ReadMachine(Ref(created->uuid));
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_TRUE((*read)->running) << "a cancellation became a hard power-off";
  s = DeleteMachine(Ref(created->uuid), std::chrono::seconds(30), stop);
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  EXPECT_TRUE(VolumeExists(Seed())) << "a cancelled delete went on past the stop";
}

TEST_F(MachineTest, ImportFindsAManagedDomainWhoseSeedIsGone) {
  auto created = CreateMachine(Spec(), cancel_);
  ASSERT_TRUE(created.ok()) << created.status();
  auto conn = libvirt::Connection::Open(uri_);
  auto pool = conn->LookupPool("pgha-test");
  ASSERT_TRUE(conn->DeleteVolume(conn->LookupVolume(pool->get(), Seed())->get()).ok());
  auto image = InspectMachine(uri_, name_);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE(image->managed);
  EXPECT_FALSE(image->seed.has_value());
  EXPECT_EQ(image->seed_pool, "pgha-test");
  EXPECT_EQ(image->seed_volume, Seed());
  // The next apply rebuilds it.
  ASSERT_TRUE(ReplaceSeed(Ref(created->uuid), Spec().seed, false, std::chrono::milliseconds(0), cancel_).ok());
  image = InspectMachine(uri_, name_);
  ASSERT_TRUE(image.ok() && image->seed.has_value());
  EXPECT_EQ(image->seed->user_data, Spec().seed.user_data);
  EXPECT_EQ(image->seed_volume, Seed());
}

}  // namespace
}  // namespace pgha::resources
