// A service a pgha VM runs (etcd, Patroni, HAProxy) bound to its schema
// inputs: the one place that reads a role's blocks. A role's resource
// (MachineResource) and its *_cloud_init data source share it, so both
// render the same documents from the same inputs.
#pragma once

#include <chrono>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/membership.h"
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

  using Cancelled = std::function<bool()>;
  // Before anything of a new VM is made: checks that need the world outside the configuration (a
  // restore's target against its repository). An error stops the create with nothing made.
  virtual void Preflight(const schema::Reader& /*planned*/, const std::string& /*uri*/, std::time_t /*now*/,
                         const Cancelled& /*cancelled*/, value::Diagnostics& /*diags*/) const {}

  // Runtime membership, for a role whose cluster keeps a member list of its own (etcd); the
  // defaults are for roles that join by themselves (Patroni, HAProxy).
  using Deadline = std::chrono::steady_clock::time_point;
  // Whether the role's cluster keeps a member list that pgha changes.
  virtual bool KeepsMembership() const { return false; }
  // The members the configuration names (etcd: cluster.initial_members).
  virtual std::vector<std::string> ListedMembers(const schema::Reader& /*state*/) const { return {}; }
  // Whether this new member joins a running cluster (it then takes the cluster's turn to do it).
  virtual bool Joins(const schema::Reader& /*planned*/) const { return false; }
  // At plan time, on a create: the computed attributes membership decides (prior is null on create).
  virtual void PlanMembership(const value::Value& /*prior*/, value::Value& /*planned*/,
                              value::Diagnostics& /*diags*/) const {}
  // Before a new member's documents are rendered: it joins the running cluster. Returns the
  // planned value completed with what the cluster decided. Safe to repeat after a crash.
  virtual absl::StatusOr<value::Value> Join(const schema::Reader& planned, Deadline, const Cancelled&) const {
    return planned.value();
  }
  // Once the new member's VM runs: what makes it a full member (a learner promoted).
  virtual absl::Status Admit(const schema::Reader& /*state*/, Deadline, const Cancelled&) const {
    return absl::OkStatus();
  }
  // Before the VM of a member goes away: it leaves the cluster, unless every member is `leaving`
  // (the whole cluster is destroyed). `service` stops and starts the member's service in its VM
  // (empty when there is no VM yet). Safe to repeat after a crash.
  virtual absl::Status Leave(const schema::Reader& /*state*/, const std::vector<std::string>& /*leaving*/, Deadline,
                             const Cancelled&, const etcd::LeavingService& /*service*/) const {
    return absl::OkStatus();
  }
  // Commands run in the guest once its member has left the cluster, before the VM goes: what
  // keeps a later VM booted from the same disks from starting as the member that left.
  virtual std::vector<std::vector<std::string>> RetireCommands() const { return {}; }
  // Whether removing the `leaving` members (names) from a cluster whose members are `members`
  // keeps what the role must keep (etcd: a quorum); an error says why not.
  virtual absl::Status CheckLeaving(const std::vector<std::string>& /*members*/,
                                    const std::vector<std::string>& /*leaving*/) const {
    return absl::OkStatus();
  }
};

}  // namespace pgha::resources
