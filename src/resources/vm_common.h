// What the cluster resources share on the libvirt side: reading the machine
// inputs (schemas/fragments/machine.json), checking them, and turning them
// into a machine spec.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "resources/guest.h"
#include "resources/context.h"
#include "resources/machine.h"
#include "value/diagnostics.h"
#include "value/value.h"

namespace pgha::resources {

// The resource's uri, else the provider's, else LIBVIRT_DEFAULT_URI, else qemu:///system.
std::string ResolveUri(const std::string& resource_uri, const Context& ctx);
// Config rules for the VM inputs, reported at their attribute paths.
void ValidateVm(const value::Value& config, value::Diagnostics& diags);
// "<name>-cloud-init.iso": the seed volume's name when the user gave none.
std::string DefaultSeedVolumeName(const std::string& vm_name);
// Plans that name when the user gave none.
void PlanVmDefaults(const value::Value& config, value::Value& planned);

// The libvirt side of the VM: domain, disks, NICs, seed volume. Looks up
// volumes and networks, so it needs the hypervisor. The seed is set by the caller.
absl::StatusOr<MachineSpec> PrepareMachine(const schema::Reader& planned, const Context& ctx);

// Writes the machine's state and the rendered documents into the computed attributes.
value::Value WithMachineState(const value::Value& planned, const MachineState& state, const GuestDocuments& docs);

}  // namespace pgha::resources
