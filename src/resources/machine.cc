#include "resources/machine.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "base/crash_point.h"
#include "base/strings.h"
#include "base/undo.h"
#include "cloudinit/iso9660.h"
#include "libvirt/connection.h"
#include "libvirt/domain_reader.h"
#include "resources/guest.h"

namespace pgha::resources {
namespace {

using libvirt::Connection;

// Every domain pgha defines carries one of these descriptions. A new domain
// says that its creation is not finished, with a digest of what was being
// created, until a call that found it by the UUID in Terraform's state (Read,
// Update) proves that Terraform recorded it. Only such a domain, with the
// same digest, is adopted by a retried Create: a kill anywhere in Create,
// even after it returned but before Terraform saved the state, converges,
// while a domain Terraform tracks elsewhere (another workspace, a deposed
// create_before_destroy object) is never adopted.
constexpr std::string_view kManaged = "Managed by Terraform through pgha.";
constexpr std::string_view kCreatingPrefix = "Managed by Terraform through pgha; creation not finished: ";

absl::Status StepFailed(std::string_view step, const absl::Status& cause) {
  return absl::Status(cause.code(), pgha::StrCat(step, " failed: ", cause.message()));
}

bool IsManagedDescription(const std::string& description) {
  return description == kManaged || description.starts_with(kCreatingPrefix);
}

// What a volume at a seed's name holds.
enum class SeedKind {
  kOurs,         // a pgha seed: an ISO 9660 image whose descriptor names "PGHA" (see cloudinit/iso9660.cc)
  kInterrupted,  // empty, or zeros where the ISO's descriptors go: an upload killed before they were written
  kForeign,      // anything else: the user's, never touched
};

SeedKind ClassifySeed(Connection& conn, virStorageVol* volume) {
  // One read: the 16 system-area sectors and the primary volume descriptor.
  constexpr uint64_t kDescriptor = 16 * 2048;
  constexpr uint64_t kApplicationId = kDescriptor + 574;
  auto head = conn.ReadVolume(volume, 0, kDescriptor + 2048);
  if (!head.ok()) return SeedKind::kForeign;
  if (head->size() == kDescriptor + 2048 && head->compare(kDescriptor + 1, 5, "CD001") == 0 &&
      head->compare(kApplicationId, 4, "PGHA") == 0) {
    return SeedKind::kOurs;
  }
  // pgha's writer leaves the 16 system-area sectors zero and the volume is
  // created sparse, so an upload cut short reads as zeros up to the descriptor.
  if (std::all_of(head->begin(), head->end(), [](char c) { return c == '\0'; })) return SeedKind::kInterrupted;
  return SeedKind::kForeign;
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

// What a retried Create must find to adopt a domain: the same definition and the same seed.
std::string CreationDigest(const libvirt::DomainSpec& domain, const std::string& iso) {
  libvirt::DomainSpec without_mark = domain;
  without_mark.description.clear();
  return Sha256Hex(pgha::StrCat(libvirt::RenderDomainXml(without_mark), "\n", Sha256Hex(iso)));
}

// The source of the domain's seed CD-ROM, if it has one.
std::string SeedPathOf(const libvirt::DomainSpec& spec) {
  for (const auto& disk : spec.disks) {
    if (disk.device == libvirt::DiskSpec::Device::kCdrom && disk.target_dev == "hdc") return disk.source_file;
  }
  return "";
}

absl::StatusOr<libvirt::DomainSpec> DefinitionOf(Connection& conn, virDomain* domain) {
  auto xml = conn.DomainXml(domain, /*definition=*/true);
  if (!xml.ok()) return xml.status();
  return libvirt::ParseDomainXml(*xml);
}

// The domains other than `except_uuid` whose disks include `path`.
absl::StatusOr<std::vector<std::string>> DomainsUsing(Connection& conn, const std::string& path,
                                                      const std::string& except_uuid) {
  auto domains = conn.ListDomains();
  if (!domains.ok()) return domains.status();
  std::vector<std::string> out;
  for (const auto& d : *domains) {
    if (Connection::DomainUuid(d.get()) == except_uuid) continue;
    auto spec = DefinitionOf(conn, d.get());
    if (!spec.ok()) continue;  // undefined meanwhile
    for (const auto& disk : spec->disks) {
      if (disk.source_file == path) {
        out.push_back(pgha::StrCat(Connection::DomainName(d.get()), " (", Connection::DomainUuid(d.get()), ")"));
        break;
      }
    }
  }
  return out;
}

// Makes room for a seed at `name`: a pgha seed or an interrupted upload that no
// other domain uses is deleted; anything else stops the caller with a reason.
absl::Status ClearSeedName(Connection& conn, virStoragePool* pool, const std::string& name,
                           const std::string& owner_uuid) {
  auto volume = conn.LookupVolume(pool, name);
  if (absl::IsNotFound(volume.status())) return absl::OkStatus();
  if (!volume.ok()) return StepFailed(pgha::StrCat("looking up volume \"", name, "\""), volume.status());
  if (ClassifySeed(conn, volume->get()) == SeedKind::kForeign) {
    return absl::AlreadyExistsError(pgha::StrCat(
        "volume \"", name, "\" already exists and is not a pgha cloud-init volume; pgha leaves it alone. Remove it or "
        "choose another cloud_init_volume_name."));
  }
  auto path = conn.VolumePath(volume->get());
  if (!path.ok()) return StepFailed("locating a cloud-init volume", path.status());
  auto users = DomainsUsing(conn, *path, owner_uuid);
  if (!users.ok()) return StepFailed("listing domains", users.status());
  if (!users->empty()) {
    return absl::AlreadyExistsError(pgha::StrCat("cloud-init volume \"", name, "\" is attached to domain ",
                                                 absl::StrJoin(*users, ", "),
                                                 "; pgha leaves it alone. Choose another cloud_init_volume_name."));
  }
  if (auto s = conn.DeleteVolume(volume->get()); !s.ok()) {
    return StepFailed(pgha::StrCat("removing the old cloud-init volume \"", name, "\""), s);
  }
  return absl::OkStatus();
}

absl::StatusOr<MachineState> StateOf(Connection& conn, virDomain* domain, const libvirt::DomainSpec& definition) {
  auto info = conn.GetDomainInfo(domain);
  if (!info.ok()) return info.status();
  auto autostart = conn.GetAutostart(domain);
  if (!autostart.ok()) return autostart.status();
  MachineState state;
  state.uuid = Connection::DomainUuid(domain);
  state.name = Connection::DomainName(domain);
  state.seed_path = SeedPathOf(definition);
  state.running = info->running;
  state.autostart = *autostart;
  state.vcpus = info->vcpus;
  state.memory_mib = info->memory_mib;
  for (const auto& disk : definition.disks) {
    if (disk.device == libvirt::DiskSpec::Device::kDisk) state.disk_formats.push_back(disk.format);
  }
  return state;
}

absl::StatusOr<MachineState> StateOf(Connection& conn, virDomain* domain) {
  auto definition = DefinitionOf(conn, domain);
  if (!definition.ok()) return definition.status();
  return StateOf(conn, domain, *definition);
}

// Called with a domain found through Terraform's state: its creation is finished.
absl::Status MarkCreated(Connection& conn, virDomain* domain, const libvirt::DomainSpec& definition) {
  if (!definition.description.starts_with(kCreatingPrefix)) return absl::OkStatus();
  return conn.SetDescription(domain, std::string(kManaged));
}

absl::Status MarkCreated(Connection& conn, virDomain* domain) {
  auto definition = DefinitionOf(conn, domain);
  if (!definition.ok()) return definition.status();
  return MarkCreated(conn, domain, *definition);
}

// The domain Terraform tracks: by UUID, or by name for state that predates UUIDs.
absl::StatusOr<libvirt::DomainPtr> FindDomain(Connection& conn, const MachineRef& ref) {
  if (ref.uuid.empty()) return conn.LookupDomain(ref.name);
  return conn.LookupDomainByUuid(ref.uuid);
}

std::string WhichDomain(const MachineRef& ref) {
  return pgha::StrCat("domain \"", ref.name, "\"", ref.uuid.empty() ? "" : pgha::StrCat(" (", ref.uuid, ")"));
}

// Uploads `iso` under whichever of the machine's two seed names the domain
// does not use, switches the domain's CD-ROM to it, then deletes the other.
// Every step is safe to repeat after a crash before the next one.
absl::StatusOr<std::string> SwapSeed(Connection& conn, virDomain* domain, const std::string& seed_pool,
                                     const std::string& seed_volume, const std::string& iso) {
  auto pool = conn.LookupPool(seed_pool);
  if (!pool.ok()) return StepFailed(pgha::StrCat("finding cloud-init volume pool \"", seed_pool, "\""), pool.status());
  auto spec = DefinitionOf(conn, domain);
  if (!spec.ok()) return StepFailed("reading the domain's definition", spec.status());
  const std::string current = SeedPathOf(*spec);
  const std::string uuid = Connection::DomainUuid(domain);
  const auto [first, second] = SeedVolumeNames(seed_volume);
  std::string target = first;
  if (auto v = conn.LookupVolume(pool->get(), first); v.ok()) {
    if (auto p = conn.VolumePath(v->get()); p.ok() && *p == current) target = second;
  }
  const std::string old = target == first ? second : first;
  if (auto s = ClearSeedName(conn, pool->get(), target, uuid); !s.ok()) return s;
  auto volume = conn.CreateVolumeWithData(pool->get(), target, iso);
  if (!volume.ok()) return StepFailed("uploading the cloud-init volume", volume.status());
  PGHA_CRASH_POINT("seed.uploaded");
  auto path = conn.VolumePath(volume->get());
  if (!path.ok()) return StepFailed("locating the cloud-init volume", path.status());
  // The definition first: whatever happens next, the domain's next start uses the new seed.
  using Scope = Connection::MediaScope;
  if (auto s = conn.ChangeMedia(domain, libvirt::RenderDiskXml(SeedDisk(*path)), Scope::kDefinition); !s.ok()) {
    return StepFailed("switching the domain to the new cloud-init media", s);
  }
  // Then the running guest, so that a reboot from inside it sees the new seed
  // too: eject, then insert. qemu refuses while the guest holds the tray shut
  // ("Tray ... is not open"), which firmware polling an empty boot disk does
  // for seconds at a time; a few tries, then the definition alone (the old
  // file stays readable to qemu after its volume is deleted).
  if (Connection::IsActive(domain)) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
      if (!conn.ChangeMedia(domain, libvirt::RenderDiskXml(SeedDisk("")), Scope::kLive).ok()) continue;
      if (conn.ChangeMedia(domain, libvirt::RenderDiskXml(SeedDisk(*path)), Scope::kLive).ok()) break;
    }
  }
  PGHA_CRASH_POINT("seed.switched");
  if (auto s = ClearSeedName(conn, pool->get(), old, uuid); !s.ok() && !absl::IsAlreadyExists(s)) {
    return StepFailed("removing the previous cloud-init volume", s);
  }
  return *path;
}

// Adopts the unfinished creation of this machine: its seed is made whole,
// and autostart and the power state set.
absl::StatusOr<MachineState> FinishCreation(Connection& conn, virDomain* domain, const MachineSpec& spec,
                                            const std::string& iso) {
  auto definition = DefinitionOf(conn, domain);
  if (!definition.ok()) return StepFailed("reading the unfinished domain", definition.status());
  const std::string current = SeedPathOf(*definition);
  bool seed_whole = false;
  if (auto names = conn.PoolAndNameOfPath(current); names.ok() && names->first == spec.seed_pool) {
    if (auto pool = conn.LookupPool(names->first); pool.ok()) {
      if (auto v = conn.LookupVolume(pool->get(), names->second); v.ok()) {
        auto bytes = conn.ReadVolume(v->get(), 0, iso.size() + 1);
        seed_whole = bytes.ok() && *bytes == iso;
      }
    }
  }
  if (!seed_whole) {
    auto swapped = SwapSeed(conn, domain, spec.seed_pool, spec.seed_volume, iso);
    if (!swapped.ok()) return swapped.status();
  }
  if (auto s = conn.SetAutostart(domain, spec.autostart); !s.ok()) return StepFailed("setting autostart", s);
  auto info = conn.GetDomainInfo(domain);
  if (!info.ok()) return StepFailed("reading the domain's state", info.status());
  if (spec.running && !info->running) {
    if (auto s = conn.StartDomain(domain); !s.ok()) return StepFailed("starting the domain", s);
  }
  return StateOf(conn, domain);
}

}  // namespace

std::array<std::string, 2> SeedVolumeNames(const std::string& base) { return {base, base + ".b"}; }

absl::StatusOr<MachineState> CreateMachine(const MachineSpec& spec, const Cancellation& cancel) {
  auto conn = Connection::Open(spec.uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto pool = conn->LookupPool(spec.seed_pool);
  if (!pool.ok()) return StepFailed(pgha::StrCat("finding cloud-init volume pool \"", spec.seed_pool, "\""), pool.status());
  const std::string iso = BuildSeedIso(spec.seed);
  const std::string creating = pgha::StrCat(kCreatingPrefix, CreationDigest(spec.domain, iso));

  // Look before making anything: a retry after a crash finds what the crashed
  // attempt made, and another owner's domain is never touched.
  auto existing = conn->LookupDomain(spec.domain.name);
  absl::StatusOr<libvirt::DomainSpec> definition = absl::NotFoundError("no domain");
  if (existing.ok()) {
    definition = DefinitionOf(*conn, existing->get());
    // Gone between the two calls (a transient domain's QEMU process exiting): not there.
    if (absl::IsNotFound(definition.status())) existing = definition.status();
  }
  if (existing.ok()) {
    if (!definition.ok()) return StepFailed("reading the existing domain", definition.status());
    const std::string uuid = Connection::DomainUuid(existing->get());
    if (definition->description == creating) return FinishCreation(*conn, existing->get(), spec, iso);
    return absl::AlreadyExistsError(pgha::StrCat(
        "a libvirt domain named \"", spec.domain.name, "\" already exists (UUID ", uuid, ")",
        IsManagedDescription(definition->description) ? ", made by pgha for another resource or configuration" : "",
        ". If it is the VM this resource describes, bring it under Terraform with `terraform import ADDRESS ",
        spec.domain.name, "`; otherwise remove it (virsh undefine ", spec.domain.name,
        ") or give this resource another name. pgha never adopts or deletes a domain it did not create here."));
  } else if (!absl::IsNotFound(existing.status())) {
    return StepFailed("looking up the domain", existing.status());
  }

  UndoLog undo;
  auto rollback = [&](std::string_view step, const absl::Status& cause) { return undo.Fail(step, cause); };

  const auto names = SeedVolumeNames(spec.seed_volume);
  const std::string& seed_name = names[0];
  for (const std::string& name : names) {
    if (auto s = ClearSeedName(*conn, pool->get(), name, ""); !s.ok()) return s;
  }
  auto volume = conn->CreateVolumeWithData(pool->get(), seed_name, iso);
  if (!volume.ok()) return StepFailed("uploading the cloud-init volume", volume.status());
  PGHA_CRASH_POINT("create.seed_uploaded");
  undo.Add(pgha::StrCat("cloud-init volume \"", seed_name, "\" in pool \"", spec.seed_pool, "\""),
                    [&] { return conn->DeleteVolume(volume->get()); });
  auto seed_path = conn->VolumePath(volume->get());
  if (!seed_path.ok()) return rollback("locating the cloud-init volume", seed_path.status());

  libvirt::DomainSpec domain = spec.domain;
  domain.description = creating;
  domain.disks.push_back(SeedDisk(*seed_path));
  if (cancel.cancelled()) return rollback("defining the domain", absl::CancelledError("interrupted"));
  auto defined = conn->DefineDomain(libvirt::RenderDomainXml(domain));
  if (!defined.ok()) return rollback("defining the domain", defined.status());
  PGHA_CRASH_POINT("create.defined");
  const std::string uuid = Connection::DomainUuid(defined->get());
  undo.Add(pgha::StrCat("domain \"", spec.domain.name, "\" (", uuid, ")"),
                    [&] { return conn->UndefineDomain(defined->get()); });

  if (auto s = conn->SetAutostart(defined->get(), spec.autostart); !s.ok()) return rollback("setting autostart", s);
  if (spec.running) {
    if (cancel.cancelled()) return rollback("starting the domain", absl::CancelledError("interrupted"));
    if (auto s = conn->StartDomain(defined->get()); !s.ok()) return rollback("starting the domain", s);
    PGHA_CRASH_POINT("create.started");
    // Undone first: a running domain must be off before it is undefined.
    undo.Add(pgha::StrCat("running domain \"", spec.domain.name, "\""),
                      [&] { return conn->StopDomain(defined->get(), std::chrono::milliseconds(0)); });
  }
  auto state = StateOf(*conn, defined->get());
  if (!state.ok()) return rollback("reading the new domain", state.status());
  PGHA_CRASH_POINT("create.finished");
  return state;
}

absl::StatusOr<std::optional<MachineState>> ReadMachine(const MachineRef& ref) {
  auto conn = Connection::Open(ref.uri);
  if (!conn.ok()) return conn.status();
  auto domain = FindDomain(*conn, ref);
  if (absl::IsNotFound(domain.status())) return std::optional<MachineState>();
  if (!domain.ok()) return domain.status();
  auto definition = DefinitionOf(*conn, domain->get());
  if (!definition.ok()) return definition.status();
  if (!ref.uuid.empty()) {
    if (auto s = MarkCreated(*conn, domain->get(), *definition); !s.ok()) return s;
  }
  auto state = StateOf(*conn, domain->get(), *definition);
  if (!state.ok()) return state.status();
  return std::optional<MachineState>(*state);
}

absl::Status UpdateMachine(const MachineRef& ref, bool running, bool autostart, std::chrono::milliseconds grace,
                           const Cancellation& cancel) {
  auto conn = Connection::Open(ref.uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = FindDomain(*conn, ref);
  if (!domain.ok()) return StepFailed(pgha::StrCat("looking up ", WhichDomain(ref)), domain.status());
  if (auto s = MarkCreated(*conn, domain->get()); !s.ok()) return StepFailed("marking the domain created", s);
  if (auto s = conn->SetAutostart(domain->get(), autostart); !s.ok()) return StepFailed("setting autostart", s);
  auto info = conn->GetDomainInfo(domain->get());
  if (!info.ok()) return StepFailed("reading the domain's state", info.status());
  if (running && !info->running) {
    if (cancel.cancelled()) return absl::CancelledError("interrupted before starting the domain");
    if (auto s = conn->StartDomain(domain->get()); !s.ok()) return StepFailed("starting the domain", s);
  } else if (!running && info->running) {
    auto s = conn->StopDomain(domain->get(), grace, [&cancel] { return cancel.cancelled(); });
    if (!s.ok()) return StepFailed("stopping the domain", s);
  }
  return absl::OkStatus();
}

namespace {

// A graceful shutdown and a start, for a domain that runs: what a new size or
// new documents take. Cancelled while stopping: the guest finishes its
// shutdown and stays off; it is never started again here.
absl::Status RestartIfRunning(Connection& conn, virDomain* domain, std::chrono::milliseconds grace,
                              const Cancellation& cancel, std::string_view why, const char* crash_point) {
  auto info = conn.GetDomainInfo(domain);
  if (!info.ok()) return StepFailed("reading the domain's state", info.status());
  if (!info->running) return absl::OkStatus();
  auto stopped = conn.StopDomain(domain, grace, [&cancel] { return cancel.cancelled(); });
  if (!stopped.ok()) return StepFailed(pgha::StrCat("stopping the domain for its ", why), stopped);
  (void)crash_point;  // a crash point only in the test build
  PGHA_CRASH_POINT(crash_point);
  if (auto s = conn.StartDomain(domain); !s.ok()) return StepFailed(pgha::StrCat("starting the domain with its ", why), s);
  return absl::OkStatus();
}

}  // namespace

absl::Status RedefineMachine(const MachineRef& ref, libvirt::DomainSpec next, std::chrono::milliseconds grace,
                             const Cancellation& cancel) {
  auto conn = Connection::Open(ref.uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = FindDomain(*conn, ref);
  if (!domain.ok()) return StepFailed(pgha::StrCat("looking up ", WhichDomain(ref)), domain.status());
  auto current = DefinitionOf(*conn, domain->get());
  if (!current.ok()) return StepFailed("reading the domain's definition", current.status());
  // The same domain: its UUID, its mark, and the seed it has now (ReplaceSeed owns that).
  next.uuid = Connection::DomainUuid(domain->get());
  next.description = std::string(kManaged);
  if (const std::string seed = SeedPathOf(*current); !seed.empty()) next.disks.push_back(SeedDisk(seed));
  if (cancel.cancelled()) return absl::CancelledError("interrupted before the new definition");
  if (auto defined = conn->DefineDomain(libvirt::RenderDomainXml(next)); !defined.ok()) {
    return StepFailed("defining the domain anew", defined.status());
  }
  return RestartIfRunning(*conn, domain->get(), grace, cancel, "new definition", "update.stopped_for_redefinition");
}

absl::Status ReplaceSeed(const MachineRef& ref, const SeedDocuments& seed, bool restart,
                         std::chrono::milliseconds grace, const Cancellation& cancel) {
  auto conn = Connection::Open(ref.uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = FindDomain(*conn, ref);
  if (!domain.ok()) return StepFailed(pgha::StrCat("looking up ", WhichDomain(ref)), domain.status());
  if (auto s = MarkCreated(*conn, domain->get()); !s.ok()) return StepFailed("marking the domain created", s);
  auto swapped = SwapSeed(*conn, domain->get(), ref.seed_pool, ref.seed_volume, BuildSeedIso(seed));
  if (!swapped.ok()) return swapped.status();
  if (!restart) return absl::OkStatus();
  return RestartIfRunning(*conn, domain->get(), grace, cancel, "new configuration", "update.stopped_for_restart");
}

absl::StatusOr<MachineImage> InspectMachine(const std::string& uri, const std::string& name) {
  auto conn = Connection::Open(uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = conn->LookupDomain(name);
  if (!domain.ok()) return domain.status();
  auto spec = DefinitionOf(*conn, domain->get());
  if (!spec.ok()) return StepFailed("reading the domain's definition", spec.status());
  auto state = StateOf(*conn, domain->get(), *spec);
  if (!state.ok()) return StepFailed("reading the domain's state", state.status());
  MachineImage image;
  image.domain = *spec;
  image.state = *state;
  image.managed = IsManagedDescription(spec->description);
  auto seed_disk = std::find_if(image.domain.disks.begin(), image.domain.disks.end(), [](const auto& d) {
    return d.device == libvirt::DiskSpec::Device::kCdrom && d.target_dev == "hdc";
  });
  if (seed_disk == image.domain.disks.end()) return image;
  const std::string path = seed_disk->source_file;
  image.domain.disks.erase(seed_disk);  // the seed is pgha's, not one of the user's disks
  if (path.empty()) return image;
  if (auto names = conn->PoolAndNameOfPath(path); names.ok()) {
    image.seed_pool = names->first;
    image.seed_volume = names->second;
    auto pool = conn->LookupPool(names->first);
    if (!pool.ok()) return image;
    auto volume = conn->LookupVolume(pool->get(), names->second);
    if (!volume.ok() || ClassifySeed(*conn, volume->get()) != SeedKind::kOurs) return image;
    auto files = cloudinit::ReadIsoFiles(
        [&](uint64_t offset, uint64_t length) { return conn->ReadVolume(volume->get(), offset, length); },
        {"user-data", "meta-data", "network-config"});
    if (!files.ok()) return image;  // a damaged seed is rebuilt like a missing one
    SeedDocuments seed;
    for (const auto& f : *files) {
      if (f.name == "user-data") seed.user_data = f.content;
      if (f.name == "meta-data") seed.meta_data = f.content;
      if (f.name == "network-config") seed.network_config = f.content;
    }
    image.seed = seed;
  } else if (image.managed) {
    // The seed file is gone: name it by where it was, so the next apply rebuilds it there.
    const auto slash = path.rfind('/');
    auto pool = conn->PoolOfDirectory(path.substr(0, slash));
    if (pool.ok()) {
      image.seed_pool = *pool;
      image.seed_volume = path.substr(slash + 1);
    }
  }
  // The base name, whichever of its two names the seed has now.
  if (image.seed_volume.size() > 2 && image.seed_volume.ends_with(".b")) {
    image.seed_volume.resize(image.seed_volume.size() - 2);
  }
  return image;
}

absl::Status DeleteMachine(const MachineRef& ref, std::chrono::milliseconds grace, const Cancellation& cancel) {
  auto conn = Connection::Open(ref.uri);
  if (!conn.ok()) return StepFailed("connecting to libvirt", conn.status());
  auto domain = FindDomain(*conn, ref);
  if (!domain.ok() && !absl::IsNotFound(domain.status())) {
    return StepFailed(pgha::StrCat("looking up ", WhichDomain(ref)), domain.status());
  }
  const std::string uuid = domain.ok() ? Connection::DomainUuid(domain->get()) : "";
  if (domain.ok()) {
    auto stopped = conn->StopDomain(domain->get(), grace, [&cancel] { return cancel.cancelled(); });
    if (!stopped.ok()) return StepFailed("stopping the domain", stopped);
    PGHA_CRASH_POINT("delete.stopped");
  }
  // The seed before the domain: while the domain exists, Terraform still tracks the machine.
  if (auto pool = conn->LookupPool(ref.seed_pool); pool.ok()) {
    for (const std::string& name : SeedVolumeNames(ref.seed_volume)) {
      auto s = ClearSeedName(*conn, pool->get(), name, uuid);
      // Someone else's volume, or one another domain uses, stays where it is.
      if (!s.ok() && !absl::IsAlreadyExists(s)) return s;
    }
  } else if (!absl::IsNotFound(pool.status())) {
    return StepFailed("finding the pool", pool.status());
  }
  PGHA_CRASH_POINT("delete.seed_deleted");
  if (domain.ok()) {
    if (auto s = conn->UndefineDomain(domain->get()); !s.ok()) return StepFailed("undefining the domain", s);
  }
  return absl::OkStatus();
}

}  // namespace pgha::resources
