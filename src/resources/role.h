// A service a pgha VM runs (etcd, Patroni, HAProxy) bound to its schema
// inputs: the one place that reads a role's blocks. A role's resource
// (MachineResource) and its *_cloud_init data source share it, so both
// render the same documents from the same inputs.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "health/health.h"
#include "roles/pieces.h"
#include "libvirt/domain_spec.h"
#include "resources/guest.h"
#include "schema/reader.h"
#include "value/diagnostics.h"
#include "value/value.h"

namespace pgha::resources {

class Role {
 public:
  virtual ~Role() = default;

  // What the VM is, for messages: "etcd member".
  virtual std::string noun() const = 0;
  // The service whose health the VM's resource waits for and reports.
  virtual health::Service service() const = 0;
  // Rules beyond the schema's validators, on a config that may hold unknowns.
  // Defaults come from `config`'s schema; config.value() holds the unknowns.
  virtual void Validate(const schema::Reader& config, value::Diagnostics& diags) const = 0;
  // The role's pieces from a wholly known configuration.
  virtual absl::StatusOr<RoleOutput> Render(const schema::Reader& config) const = 0;
  // How changed files of this role become effective in a running guest.
  virtual roles::LiveEffect LiveEffect(const std::vector<std::string>& changed) const = 0;
  // Members with the same key form one cluster, changed one at a time; "" for none.
  virtual std::string ClusterKey(const schema::Reader& config) const = 0;
  // Devices the role needs on its VM (a watchdog, for instance).
  virtual void AdjustDomain(libvirt::DomainSpec&) const {}
};

}  // namespace pgha::resources
