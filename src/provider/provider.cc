#include "provider/provider.h"

#include "base/strings.h"
#include "schema/validate.h"
#include "value/json_codec.h"

namespace pgha::provider {

using value::Diagnostics;
using value::Value;

absl::StatusOr<std::unique_ptr<Provider>> Provider::Create(Clock clock) {
  const schema::Catalog& catalog = schema::Catalog::Embedded();
  auto registry = resources::Registry::Build(catalog);
  if (!registry.ok()) return registry.status();
  if (!clock) clock = [] { return std::time(nullptr); };
  return std::unique_ptr<Provider>(new Provider(catalog, *std::move(registry), std::move(clock)));
}

Provider::Provider(const schema::Catalog& catalog, resources::Registry registry, Clock clock)
    : catalog_(catalog), registry_(std::move(registry)), clock_(std::move(clock)) {}

resources::Context Provider::MakeContext() const {
  std::lock_guard<std::mutex> lock(config_mu_);
  if (!provider_config_) provider_config_ = Value::Null(catalog_.provider().type);
  return resources::Context{*provider_config_, cancel_, clock_()};
}

const resources::Resource* Provider::Find(const std::string& type, Diagnostics& diags) const {
  const resources::Resource* r = registry_.Find(type);
  if (r == nullptr) {
    diags.AddError("Unknown resource type", pgha::StrCat("pgha has no resource type \"", type, "\"."));
  }
  return r;
}

void Provider::ValidateProviderConfig(const Value& config, Diagnostics& diags) const {
  schema::ValidateConfig(catalog_.provider().block, config, diags);
}

void Provider::Configure(const Value& config, const std::string&, Diagnostics& diags) {
  schema::ValidateConfig(catalog_.provider().block, config, diags);
  if (diags.HasError()) return;
  std::lock_guard<std::mutex> lock(config_mu_);
  provider_config_ = config;
}

void Provider::ValidateResourceConfig(const std::string& type, const Value& config, Diagnostics& diags) const {
  const resources::Resource* r = Find(type, diags);
  if (r == nullptr) return;
  schema::ValidateConfig(r->schema().block, config, diags);
  if (config.IsKnown()) r->ValidateConfig(config, diags);
}

void Provider::ValidateDataSourceConfig(const std::string& type, const Value& config, Diagnostics& diags) const {
  const resources::DataSource* d = registry_.FindDataSource(type);
  if (d == nullptr) {
    diags.AddError("Unknown data source", pgha::StrCat("pgha has no data source \"", type, "\"."));
    return;
  }
  schema::ValidateConfig(d->schema().block, config, diags);
  if (config.IsKnown()) d->ValidateConfig(config, diags);
}

schema::PlannedChange Provider::PlanResourceChange(const std::string& type, const Value& prior, const Value& proposed,
                                                   const Value& config, Diagnostics& diags) const {
  schema::PlannedChange change;
  const resources::Resource* r = Find(type, diags);
  if (r == nullptr) return change;
  if (proposed.IsNull()) {
    change.planned = Value::Null(r->schema().type);  // destroy
    if (!prior.IsNull()) r->PlanDestroy(MakeContext(), prior, diags);
    return change;
  }
  // Validation runs again with the values known at plan time.
  schema::ValidateConfig(r->schema().block, config, diags);
  if (config.IsKnown()) r->ValidateConfig(config, diags);
  if (diags.HasError()) return change;
  change = schema::PlanChange(r->schema(), prior, proposed, config);
  r->ModifyPlan(MakeContext(), prior, config, change, diags);
  return change;
}

Value Provider::ApplyResourceChange(const std::string& type, const Value& prior, const Value& planned,
                                    Diagnostics& diags) const {
  const resources::Resource* r = Find(type, diags);
  if (r == nullptr) return prior;
  const resources::Context ctx = MakeContext();
  if (planned.IsNull()) {
    r->Delete(ctx, prior, diags);
    // A failed delete keeps the object in state so it can be retried.
    return diags.HasError() ? prior : Value::Null(r->schema().type);
  }
  if (prior.IsNull()) return r->Create(ctx, planned, diags);
  Value updated = r->Update(ctx, prior, planned, diags);
  return updated.IsNull() && diags.HasError() ? prior : updated;
}

Value Provider::ReadResource(const std::string& type, const Value& state, Diagnostics& diags) const {
  const resources::Resource* r = Find(type, diags);
  if (r == nullptr) return state;
  Value refreshed = r->Read(MakeContext(), state, diags);
  // On error keep what we had: a null here would tell Terraform the object is gone.
  return diags.HasError() ? state : refreshed;
}

Value Provider::ImportResourceState(const std::string& type, const std::string& id, Diagnostics& diags) const {
  const resources::Resource* r = Find(type, diags);
  if (r == nullptr) return Value();
  return r->Import(MakeContext(), id, diags);
}

Value Provider::UpgradeResourceState(const std::string& type, int64_t version, std::string_view json,
                                     Diagnostics& diags) const {
  const resources::Resource* r = Find(type, diags);
  if (r == nullptr) return Value();
  const schema::Schema& s = r->schema();
  if (version > s.version) {
    diags.AddError("State written by a newer pgha",
                   pgha::StrCat("This state has schema version ", version, " but this pgha knows version ", s.version,
                                ". Upgrade the provider."));
    return Value();
  }
  // Version 0 is the only version so far: the stored JSON is already in the current shape.
  auto decoded = value::DecodeJsonText(json, s.type);
  if (!decoded.ok()) {
    diags.AddError("Failed to read the stored state", std::string(decoded.status().message()));
    return Value();
  }
  return *std::move(decoded);
}

Value Provider::ReadDataSource(const std::string& type, const Value& config, Diagnostics& diags) const {
  const resources::DataSource* d = registry_.FindDataSource(type);
  if (d == nullptr) {
    diags.AddError("Unknown data source", pgha::StrCat("pgha has no data source \"", type, "\"."));
    return Value();
  }
  schema::ValidateConfig(d->schema().block, config, diags);
  if (diags.HasError()) return Value::Null(d->schema().type);
  d->ValidateConfig(config, diags);
  if (diags.HasError()) return Value::Null(d->schema().type);
  return d->Read(MakeContext(), config, diags);
}

}  // namespace pgha::provider
