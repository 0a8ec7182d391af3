// A cluster resource: one libvirt VM running one role, configured by the
// NoCloud documents pgha renders. The lifecycle is the same for every role:
// the documents are rendered at plan time (so `user_data` shows in the plan),
// created with rollback, re-rendered in place when only they change, and
// imported by domain name.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "resources/machine.h"
#include "resources/resource.h"
#include "rolling/slots.h"
#include "schema/reader.h"
#include "resources/role.h"

namespace pgha::agent {
class GuestAgent;
class LibvirtChannel;
}  // namespace pgha::agent

namespace pgha::resources {

class MachineResource final : public Resource {
 public:
  MachineResource(const schema::Schema& schema, std::shared_ptr<const Role> role)
      : Resource(schema), role_(std::move(role)) {}

  void ValidateConfig(const value::Value& config, value::Diagnostics& diags) const override;
  void ModifyPlan(const Context& ctx, const value::Value& prior, const value::Value& config,
                  schema::PlannedChange& plan, value::Diagnostics& diags) const override;
  void PlanDestroy(const Context& ctx, const value::Value& prior, value::Diagnostics& diags) const override;
  value::Value Create(const Context& ctx, const value::Value& planned, value::Diagnostics& diags) const override;
  value::Value Read(const Context& ctx, const value::Value& state, value::Diagnostics& diags) const override;
  value::Value Update(const Context& ctx, const value::Value& prior, const value::Value& planned,
                      value::Diagnostics& diags) const override;
  void Delete(const Context& ctx, const value::Value& state, value::Diagnostics& diags) const override;
  value::Value Import(const Context& ctx, const std::string& id, value::Diagnostics& diags) const override;

 private:
  struct GuestChange;
  absl::StatusOr<GuestDocuments> Render(const value::Value& planned) const;
  // The libvirt domain a configuration describes (without its seed).
  absl::StatusOr<libvirt::DomainSpec> DomainFor(const schema::Reader& config, const Context& ctx) const;
  GuestChange PlanGuestChange(const value::Value& prior, const GuestDocuments& next, const std::string& mode,
                              bool was_running) const;
  absl::StatusOr<rolling::ClusterSlots::Hold> PrepareDisruption(const Context& ctx, const schema::Reader& config,
                                                                 const MachineRef& ref,
                                                                 std::chrono::steady_clock::time_point deadline) const;
  void RunRetireCommands(agent::GuestAgent& agent, const agent::LibvirtChannel& channel, const MachineRef& ref,
                         value::Diagnostics& diags) const;
  absl::Status ApplyLive(const Context& ctx, const MachineRef& ref, const GuestChange& change) const;
  absl::Status ApplyPatroniDynamicConfig(const Context& ctx, const schema::Reader& config, const MachineRef& ref,
                                         const GuestChange& change, std::chrono::steady_clock::time_point deadline,
                                         std::optional<rolling::ClusterSlots::Hold>& hold) const;
  value::Value AwaitHealthy(const Context& ctx, const value::Value& state, const char* operation,
                            std::chrono::steady_clock::time_point started, const std::string& what,
                            value::Diagnostics& diags) const;

  std::shared_ptr<const Role> role_;
};

}  // namespace pgha::resources
