// What the three cluster resources share: one libvirt domain booted with a
// NoCloud seed that pgha uploads as a volume. Create either finishes or
// removes everything it made; the user's OS and data volumes are only ever
// attached, never created or deleted here.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloudinit/documents.h"
#include "libvirt/domain_spec.h"
#include "resources/context.h"

namespace pgha::resources {

using SeedDocuments = cloudinit::SeedDocuments;

struct MachineSpec {
  std::string uri;
  // The domain without its seed disk; Create attaches the seed.
  libvirt::DomainSpec domain;
  std::string seed_pool;
  // The seed's base name. A machine's seed lives under one of two names (see
  // SeedVolumeNames) so that an update can upload the new one before it lets
  // go of the old one.
  std::string seed_volume;
  SeedDocuments seed;
  bool running = true;
  bool autostart = true;
};

struct MachineState {
  std::string uuid;
  std::string name;
  std::string seed_path;
  bool running = false;
  bool autostart = false;
  int64_t vcpus = 0;
  int64_t memory_mib = 0;
  // The formats the domain opens its disks with, in attach order (OS disk first).
  std::vector<std::string> disk_formats;
};

// Where a machine Terraform knows lives. Found by UUID: a domain that merely
// took the name is someone else's and is never adopted, changed or destroyed.
struct MachineRef {
  std::string uri;
  std::string uuid;  // empty only for state written before UUIDs were recorded
  std::string name;
  std::string seed_pool;
  std::string seed_volume;  // the base name
};

// The two names a machine's seed may have: `base`, and the alternate one an
// update switches to ("x-cloud-init.iso" -> "x-cloud-init.iso.b").
std::array<std::string, 2> SeedVolumeNames(const std::string& base);

// Creates the seed volume and the domain, then starts it if asked. On
// failure everything made so far is removed and the status names the step
// (and anything an undo could not remove).
//
// A domain of that name that already exists is adopted only when it is the
// unfinished creation of this very machine (same definition, same seed; see
// machine.cc); otherwise AlreadyExists names it, its UUID and the ways out.
absl::StatusOr<MachineState> CreateMachine(const MachineSpec& spec, const Cancellation& cancel);

// nullopt when the domain no longer exists (deleted behind Terraform's back,
// or another domain now holds the name).
absl::StatusOr<std::optional<MachineState>> ReadMachine(const MachineRef& ref);

// Applies the in-place changes libvirt allows: autostart, and starting or
// stopping (ACPI first, forced after `grace`; a cancellation leaves it to the guest).
absl::Status UpdateMachine(const MachineRef& ref, bool running, bool autostart, std::chrono::milliseconds grace,
                           const Cancellation& cancel);

// Gives the domain a new definition (size, disks, NICs, CPU model, kernel...)
// under its own UUID and name, keeping its seed; then, if it runs, a graceful
// shutdown and a start so the guest boots with it (a cancellation leaves it
// off, as in UpdateMachine; the next apply starts it). The VM stays the same
// libvirt domain: an in-place change, never a new VM.
absl::Status RedefineMachine(const MachineRef& ref, libvirt::DomainSpec next, std::chrono::milliseconds grace,
                             const Cancellation& cancel);
// Gives the domain a seed built from new documents: uploaded under the name
// the domain does not use, swapped into its CD-ROM (definition and, if it
// runs, live), and only then the old one deleted. With `restart`, a running
// domain is then shut down gracefully and started again so cloud-init applies
// the documents now.
absl::Status ReplaceSeed(const MachineRef& ref, const SeedDocuments& seed, bool restart,
                         std::chrono::milliseconds grace, const Cancellation& cancel);

// What an existing domain looks like, for import: its definition, state, and
// the documents in its seed (when the seed is one of pgha's and still there).
struct MachineImage {
  libvirt::DomainSpec domain;
  MachineState state;
  std::string seed_pool, seed_volume;
  // The domain carries pgha's mark (its description).
  bool managed = false;
  // nullopt: no readable pgha seed (missing, e.g. deleted by hand); the next apply rebuilds it.
  std::optional<SeedDocuments> seed;
};
absl::StatusOr<MachineImage> InspectMachine(const std::string& uri, const std::string& name);

// Stops the domain (ACPI, then forced after `grace`), deletes its seed, then
// undefines it: a crash between the steps leaves a domain Terraform still
// tracks, never a seed (it holds secrets) that nothing tracks. Missing pieces
// are not an error: deleting twice is fine.
absl::Status DeleteMachine(const MachineRef& ref, std::chrono::milliseconds grace, const Cancellation& cancel);

}  // namespace pgha::resources
