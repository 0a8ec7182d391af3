// The provider as Terraform sees it, minus the wire: schemas, validation,
// configuration, and the plan/apply/read/import/upgrade operations, in
// typed values. tfproto translates gRPC to these calls; resources do the
// work. Thread-safe: Terraform calls concurrently.
#pragma once

#include <ctime>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "resources/context.h"
#include "resources/registry.h"
#include "schema/plan.h"
#include "schema/schema.h"
#include "value/diagnostics.h"
#include "value/value.h"

namespace pgha::provider {

class Provider {
 public:
  using Clock = std::function<std::time_t()>;

  // Over the embedded schemas, each parsed on first use.
  static absl::StatusOr<std::unique_ptr<Provider>> Create(Clock clock = nullptr);

  const schema::Catalog& catalog() const { return catalog_; }

  void ValidateProviderConfig(const value::Value& config, value::Diagnostics& diags) const;
  void Configure(const value::Value& config, const std::string& terraform_version, value::Diagnostics& diags);

  void ValidateResourceConfig(const std::string& type, const value::Value& config, value::Diagnostics& diags) const;
  void ValidateDataSourceConfig(const std::string& type, const value::Value& config, value::Diagnostics& diags) const;

  // planned is null for a destroy.
  schema::PlannedChange PlanResourceChange(const std::string& type, const value::Value& prior,
                                           const value::Value& proposed, const value::Value& config,
                                           value::Diagnostics& diags) const;
  value::Value ApplyResourceChange(const std::string& type, const value::Value& prior, const value::Value& planned,
                                   value::Diagnostics& diags) const;
  value::Value ReadResource(const std::string& type, const value::Value& state, value::Diagnostics& diags) const;
  value::Value ImportResourceState(const std::string& type, const std::string& id, value::Diagnostics& diags) const;
  // Reads stored JSON state written by schema `version` into the current schema.
  value::Value UpgradeResourceState(const std::string& type, int64_t version, std::string_view json,
                                    value::Diagnostics& diags) const;
  value::Value ReadDataSource(const std::string& type, const value::Value& config, value::Diagnostics& diags) const;

  // StopProvider: in-flight and later long operations give up promptly.
  void Stop() { cancel_.Cancel(); }

 private:
  Provider(const schema::Catalog& catalog, resources::Registry registry, Clock clock);
  const resources::Resource* Find(const std::string& type, value::Diagnostics& diags) const;
  resources::Context MakeContext() const;

  const schema::Catalog& catalog_;
  resources::Registry registry_;
  Clock clock_;
  resources::Cancellation cancel_;
  mutable std::mutex config_mu_;
  // Set by Configure; read by every resource call. Until then a null object
  // of the provider's type, made on first use: the process that only prints
  // the handshake and serves the (prebuilt) schema never parses a schema.
  mutable std::optional<value::Value> provider_config_;
};

}  // namespace pgha::provider
