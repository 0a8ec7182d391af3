// The interface every managed resource implements. Resources see typed
// values and diagnostics only: nothing here knows about gRPC or msgpack.
#pragma once

#include <string>

#include "resources/context.h"
#include "schema/plan.h"
#include "schema/schema.h"
#include "value/diagnostics.h"
#include "value/value.h"

namespace pgha::resources {

class Resource {
 public:
  explicit Resource(const schema::Schema& schema) : schema_(schema) {}
  virtual ~Resource() = default;

  const schema::Schema& schema() const { return schema_; }

  // Checks beyond the schema's validators, on a config that may hold unknowns.
  virtual void ValidateConfig(const value::Value& config, value::Diagnostics& diags) const;
  // Refines the schema-driven plan: prior is null on create.
  virtual void ModifyPlan(const Context& ctx, const value::Value& prior, const value::Value& config,
                          schema::PlannedChange& plan, value::Diagnostics& diags) const;

  // Checks a planned destroy of `prior` (Terraform asks when the provider
  // announces plan_destroy): an error stops the plan before anything changes.
  virtual void PlanDestroy(const Context& ctx, const value::Value& prior, value::Diagnostics& diags) const;
  // Returns the new state; on failure, diagnostics and a null value (nothing was left behind).
  virtual value::Value Create(const Context& ctx, const value::Value& planned, value::Diagnostics& diags) const = 0;
  // Returns the refreshed state, or null when the object no longer exists.
  virtual value::Value Read(const Context& ctx, const value::Value& state, value::Diagnostics& diags) const = 0;
  virtual value::Value Update(const Context& ctx, const value::Value& prior, const value::Value& planned,
                              value::Diagnostics& diags) const;
  virtual void Delete(const Context& ctx, const value::Value& state, value::Diagnostics& diags) const = 0;
  // Returns a (possibly partial) state for `id`; Read completes it.
  virtual value::Value Import(const Context& ctx, const std::string& id, value::Diagnostics& diags) const;

 private:
  const schema::Schema& schema_;
};

}  // namespace pgha::resources
