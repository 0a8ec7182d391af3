#include "resources/machine.h"

#include <functional>
#include <vector>

#include "base/strings.h"
#include "cloudinit/iso9660.h"
#include "libvirt/connection.h"
#include "libvirt/domain_reader.h"

namespace pgha::resources {
namespace {

absl::Status StepFailed(std::string_view step, const absl::Status& cause) {
  return absl::Status(cause.code(), pgha::StrCat(step, " failed: ", cause.message()));
}

// pgha's seeds are ISO 9660 images whose primary descriptor names "PGHA" as
// the application (see cloudinit/iso9660.cc).
bool IsOurSeed(libvirt::Connection& conn, virStorageVol* volume) {
  constexpr uint64_t kApplicationId = 16 * 2048 + 574;
  auto bytes = conn.ReadVolume(volume, 16 * 2048 + 1, 5);
  auto app = conn.ReadVolume(volume, kApplicationId, 4);
  return bytes.ok() && app.ok() && *bytes == "CD001" && *app == "PGHA";
}

// The CD-ROM the seed is attached as: IDE, which libvirt's default machine (i440fx) has built in and
// every x86 kernel drives. SATA would add an AHCI controller that small kernels lack: Debian's
// linux-image-cloud-amd64 never saw a SATA seed and cloud-init fell back to DataSourceNone.
libvirt::DiskSpec SeedDisk(const std::string& path) {
  libvirt::DiskSpec seed;
  seed.device = libvirt::DiskSpec::Device::kCdrom;
  seed.source_file = path;
  seed.format = "raw";
  seed.target_dev = "hdc";
  seed.bus = "ide";
  seed.read_only = true;
  return seed;
}

std::string BuildSeedIso(const SeedDocuments& seed) {
  return cloudinit::BuildIso("cidata", {{"user-data", seed.user_data},
                                        {"meta-data", seed.meta_data},
                                        {"network-config", seed.network_config}});
}

std::string Uuid(virDomain* d) {
  char uuid[VIR_UUID_STRING_BUFLEN];
  return virDomainGetUUIDString(d, uuid) == 0 ? std::string(uuid) : "";
}

}  // namespace

absl::StatusOr<MachineState> CreateMachine(const MachineSpec& spec, const Cancellation& cancel) {
  auto conn = libvirt::Connection::Open(spec.uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());

  // Undo steps, run in reverse if a later step fails.
  std::vector<std::function<void()>> undo;
  auto rollback = [&](std::string_view step, const absl::Status& cause) {
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) (*it)();
    return StepFailed(step, cause);
  };

  auto pool = conn->LookupPool(spec.seed_pool);
  if (!pool.ok()) return StepFailed(pgha::StrCat("finding cloud-init volume pool \"", spec.seed_pool, "\""), pool.status());
  const std::string iso = BuildSeedIso(spec.seed);
  // A seed of ours left behind (its domain was deleted outside Terraform) is
  // replaced; any other volume of that name is the user's and stays.
  if (auto existing = conn->LookupVolume(pool->get(), spec.seed_volume); existing.ok()) {
    if (IsOurSeed(*conn, existing->get())) {
      if (auto s = conn->DeleteVolume(existing->get()); !s.ok()) return StepFailed("replacing the old cloud-init volume", s);
    }
  }
  auto volume = conn->CreateVolumeWithData(pool->get(), spec.seed_volume, iso);
  if (!volume.ok()) return StepFailed("uploading the cloud-init volume", volume.status());
  undo.push_back([&] { (void)conn->DeleteVolume(volume->get()); });
  auto seed_path = conn->VolumePath(volume->get());
  if (!seed_path.ok()) return rollback("locating the cloud-init volume", seed_path.status());

  libvirt::DomainSpec domain = spec.domain;
  domain.disks.push_back(SeedDisk(*seed_path));
  if (cancel.cancelled()) return rollback("defining the domain", absl::CancelledError("interrupted"));
  auto defined = conn->DefineDomain(libvirt::RenderDomainXml(domain));
  if (!defined.ok()) return rollback("defining the domain", defined.status());
  undo.push_back([&] { (void)conn->UndefineDomain(defined->get()); });

  if (auto s = conn->SetAutostart(defined->get(), spec.autostart); !s.ok()) return rollback("setting autostart", s);
  if (spec.running) {
    if (cancel.cancelled()) return rollback("starting the domain", absl::CancelledError("interrupted"));
    if (auto s = conn->StartDomain(defined->get()); !s.ok()) return rollback("starting the domain", s);
    // Undone first: a running domain must be off before it is undefined.
    undo.push_back([&] { (void)conn->StopDomain(defined->get(), std::chrono::milliseconds(0)); });
  }
  auto info = conn->GetDomainInfo(defined->get());
  if (!info.ok()) return rollback("reading the new domain", info.status());
  MachineState state;
  state.uuid = Uuid(defined->get());
  state.seed_path = *seed_path;
  state.running = info->running;
  state.autostart = spec.autostart;
  state.vcpus = info->vcpus;
  state.memory_mib = info->memory_mib;
  return state;
}

namespace {

absl::StatusOr<MachineState> StateOf(libvirt::Connection& conn, virDomain* domain) {
  auto info = conn.GetDomainInfo(domain);
  if (!info.ok()) return info.status();
  auto autostart = conn.GetAutostart(domain);
  if (!autostart.ok()) return autostart.status();
  MachineState state;
  state.uuid = Uuid(domain);
  state.running = info->running;
  state.autostart = *autostart;
  state.vcpus = info->vcpus;
  state.memory_mib = info->memory_mib;
  return state;
}

}  // namespace

absl::StatusOr<std::optional<MachineState>> ReadMachine(const std::string& uri, const std::string& name) {
  auto conn = libvirt::Connection::Open(uri);
  if (!conn.ok()) return conn.status();
  auto domain = conn->LookupDomain(name);
  if (absl::IsNotFound(domain.status())) return std::optional<MachineState>();
  if (!domain.ok()) return domain.status();
  auto state = StateOf(*conn, domain->get());
  if (!state.ok()) return state.status();
  return std::optional<MachineState>(*state);
}

absl::Status UpdateMachine(const std::string& uri, const std::string& name, bool running, bool autostart,
                           std::chrono::milliseconds grace, const Cancellation& cancel) {
  auto conn = libvirt::Connection::Open(uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = conn->LookupDomain(name);
  if (!domain.ok()) return StepFailed("looking up the domain", domain.status());
  if (auto s = conn->SetAutostart(domain->get(), autostart); !s.ok()) return StepFailed("setting autostart", s);
  auto info = conn->GetDomainInfo(domain->get());
  if (!info.ok()) return StepFailed("reading the domain's state", info.status());
  if (running && !info->running) {
    if (auto s = conn->StartDomain(domain->get()); !s.ok()) return StepFailed("starting the domain", s);
  } else if (!running && info->running) {
    auto s = conn->StopDomain(domain->get(), grace, [&cancel] { return cancel.cancelled(); });
    if (!s.ok()) return StepFailed("stopping the domain", s);
  }
  return absl::OkStatus();
}

absl::Status ReplaceSeed(const std::string& uri, const std::string& name, const std::string& seed_pool,
                         const std::string& seed_volume, const SeedDocuments& seed, bool restart,
                         std::chrono::milliseconds grace, const Cancellation& cancel) {
  auto conn = libvirt::Connection::Open(uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = conn->LookupDomain(name);
  if (!domain.ok()) return StepFailed("looking up the domain", domain.status());
  auto pool = conn->LookupPool(seed_pool);
  if (!pool.ok()) return StepFailed(pgha::StrCat("finding cloud-init volume pool \"", seed_pool, "\""), pool.status());
  if (auto existing = conn->LookupVolume(pool->get(), seed_volume); existing.ok()) {
    if (!IsOurSeed(*conn, existing->get())) {
      return absl::FailedPreconditionError(pgha::StrCat("volume \"", seed_volume,
                                                        "\" is not a pgha cloud-init volume; pgha leaves it alone"));
    }
    if (auto s = conn->DeleteVolume(existing->get()); !s.ok()) return StepFailed("removing the old cloud-init volume", s);
  }
  auto volume = conn->CreateVolumeWithData(pool->get(), seed_volume, BuildSeedIso(seed));
  if (!volume.ok()) return StepFailed("uploading the cloud-init volume", volume.status());
  auto path = conn->VolumePath(volume->get());
  if (!path.ok()) return StepFailed("locating the cloud-init volume", path.status());
  auto info = conn->GetDomainInfo(domain->get());
  if (!info.ok()) return StepFailed("reading the domain's state", info.status());
  if (info->running) {
    // qemu still holds the old file: eject it, then insert the new one.
    if (auto s = conn->ChangeMedia(domain->get(), libvirt::RenderDiskXml(SeedDisk(""))); !s.ok()) {
      return StepFailed("ejecting the old cloud-init media", s);
    }
    if (auto s = conn->ChangeMedia(domain->get(), libvirt::RenderDiskXml(SeedDisk(*path))); !s.ok()) {
      return StepFailed("inserting the new cloud-init media", s);
    }
    if (restart) {
      auto stopped = conn->StopDomain(domain->get(), grace, [&cancel] { return cancel.cancelled(); });
      if (!stopped.ok()) return StepFailed("stopping the domain for its new configuration", stopped);
      if (auto s = conn->StartDomain(domain->get()); !s.ok()) return StepFailed("starting the domain again", s);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<MachineImage> InspectMachine(const std::string& uri, const std::string& name) {
  auto conn = libvirt::Connection::Open(uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = conn->LookupDomain(name);
  if (!domain.ok()) return domain.status();
  auto xml = conn->DomainXml(domain->get());
  if (!xml.ok()) return StepFailed("reading the domain's definition", xml.status());
  auto spec = libvirt::ParseDomainXml(*xml);
  if (!spec.ok()) return StepFailed("reading the domain's definition", spec.status());
  auto state = StateOf(*conn, domain->get());
  if (!state.ok()) return StepFailed("reading the domain's state", state.status());
  MachineImage image;
  image.domain = *spec;
  image.state = *state;
  for (auto it = image.domain.disks.begin(); it != image.domain.disks.end(); ++it) {
    if (it->device != libvirt::DiskSpec::Device::kCdrom || it->source_file.empty()) continue;
    auto names = conn->PoolAndNameOfPath(it->source_file);
    if (!names.ok()) continue;
    auto pool = conn->LookupPool(names->first);
    if (!pool.ok()) continue;
    auto volume = conn->LookupVolume(pool->get(), names->second);
    if (!volume.ok() || !IsOurSeed(*conn, volume->get())) continue;
    image.seed_pool = names->first;
    image.seed_volume = names->second;
    image.state.seed_path = it->source_file;
    auto files = cloudinit::ReadIsoFiles(
        [&](uint64_t offset, uint64_t length) { return conn->ReadVolume(volume->get(), offset, length); },
        {"user-data", "meta-data", "network-config"});
    if (!files.ok()) return StepFailed("reading the cloud-init volume", files.status());
    SeedDocuments seed;
    for (const auto& f : *files) {
      if (f.name == "user-data") seed.user_data = f.content;
      if (f.name == "meta-data") seed.meta_data = f.content;
      if (f.name == "network-config") seed.network_config = f.content;
    }
    image.seed = seed;
    image.domain.disks.erase(it);  // the seed is pgha's, not one of the user's disks
    break;
  }
  return image;
}

absl::Status DeleteMachine(const std::string& uri, const std::string& name, const std::string& seed_pool,
                           const std::string& seed_volume, std::chrono::milliseconds grace,
                           const Cancellation& cancel) {
  auto conn = libvirt::Connection::Open(uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = conn->LookupDomain(name);
  if (domain.ok()) {
    auto stopped = conn->StopDomain(domain->get(), grace, [&cancel] { return cancel.cancelled(); });
    if (!stopped.ok()) return StepFailed("stopping the domain", stopped);
    if (auto s = conn->UndefineDomain(domain->get()); !s.ok()) return StepFailed("undefining the domain", s);
  } else if (!absl::IsNotFound(domain.status())) {
    return StepFailed("looking up the domain", domain.status());
  }
  auto pool = conn->LookupPool(seed_pool);
  if (!pool.ok()) return absl::IsNotFound(pool.status()) ? absl::OkStatus() : StepFailed("finding the pool", pool.status());
  auto volume = conn->LookupVolume(pool->get(), seed_volume);
  if (volume.ok()) {
    if (auto s = conn->DeleteVolume(volume->get()); !s.ok()) return StepFailed("deleting the cloud-init volume", s);
  } else if (!absl::IsNotFound(volume.status())) {
    return StepFailed("looking up the cloud-init volume", volume.status());
  }
  return absl::OkStatus();
}

}  // namespace pgha::resources
