// What the cluster resources share, on the Terraform side: reading the VM
// inputs every one of them has (schemas/fragments/vm.json), checking them,
// and turning them into a machine spec and the base of the cloud-config.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloudinit/documents.h"
#include "resources/context.h"
#include "resources/machine.h"
#include "value/diagnostics.h"
#include "value/value.h"

namespace pgha::resources {

// The resource's uri, else the provider's, else LIBVIRT_DEFAULT_URI, else qemu:///system.
std::string ResolveUri(const value::Value& state, const Context& ctx);
// The first interface's address: what the service advertises.
std::string AdvertisedIp(const value::Value& config);
// Config rules for the VM inputs, reported at their attribute paths.
void ValidateVm(const value::Value& config, value::Diagnostics& diags);
// "<name>-cloud-init.iso" when the user gave no name.
void PlanVmDefaults(const value::Value& config, value::Value& planned);

struct RenderedVm {
  MachineSpec machine;
  cloudinit::CloudConfig cloud_config;  // base: hostname, users, network; the role adds the rest
  std::vector<cloudinit::NetworkInterface> interfaces;
};
absl::StatusOr<RenderedVm> PrepareVm(const value::Value& planned, const Context& ctx);

// Seals the documents: meta-data's instance-id comes from the digest of all
// three, so a changed configuration is a new instance to cloud-init.
SeedDocuments SealDocuments(const cloudinit::CloudConfig& config,
                            const std::vector<cloudinit::NetworkInterface>& interfaces, const std::string& hostname,
                            std::string* digest);

// Writes the machine's state into the computed attributes.
value::Value WithMachineState(const value::Value& planned, const MachineState& state, const SeedDocuments& seed,
                              const std::string& digest);

}  // namespace pgha::resources
