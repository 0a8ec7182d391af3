// What the three cluster resources share: one libvirt domain booted with a
// NoCloud seed that pgha uploads as a volume. Create either finishes or
// removes everything it made; the user's OS and data volumes are only ever
// attached, never created or deleted here.
#pragma once

#include <chrono>
#include <optional>
#include <string>

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
  std::string seed_volume;
  SeedDocuments seed;
  bool running = true;
  bool autostart = false;
};

struct MachineState {
  std::string uuid;
  std::string seed_path;
  bool running = false;
  bool autostart = false;
  int64_t vcpus = 0;
  int64_t memory_mib = 0;
};

// Creates the seed volume and the domain, then starts it if asked. On
// failure everything made so far is removed and the status names the step.
absl::StatusOr<MachineState> CreateMachine(const MachineSpec& spec, const Cancellation& cancel);

// nullopt when the domain no longer exists (deleted behind Terraform's back).
absl::StatusOr<std::optional<MachineState>> ReadMachine(const std::string& uri, const std::string& name);

// Applies the in-place changes libvirt allows: autostart, and starting or
// stopping (ACPI first, forced after `grace`).
absl::Status UpdateMachine(const std::string& uri, const std::string& name, bool running, bool autostart,
                           std::chrono::milliseconds grace, const Cancellation& cancel);

// Rebuilds the seed volume from new documents. A running domain gets the new
// media swapped into its CD-ROM (so even a reboot from inside the guest sees
// it); with `restart`, a running domain is then shut down gracefully and
// started again so cloud-init applies the documents now.
absl::Status ReplaceSeed(const std::string& uri, const std::string& name, const std::string& seed_pool,
                         const std::string& seed_volume, const SeedDocuments& seed, bool restart,
                         std::chrono::milliseconds grace, const Cancellation& cancel);

// What an existing domain looks like, for import: its definition, state, and
// the documents in its seed (when the seed is one of pgha's).
struct MachineImage {
  libvirt::DomainSpec domain;
  MachineState state;
  std::string seed_pool, seed_volume;
  std::optional<SeedDocuments> seed;
};
absl::StatusOr<MachineImage> InspectMachine(const std::string& uri, const std::string& name);

// Stops the domain (ACPI, then forced after `grace`), undefines it and deletes
// the seed volume. Missing pieces are not an error: deleting twice is fine.
absl::Status DeleteMachine(const std::string& uri, const std::string& name, const std::string& seed_pool,
                           const std::string& seed_volume, std::chrono::milliseconds grace,
                           const Cancellation& cancel);

}  // namespace pgha::resources
