// The interface every data source implements: typed values and diagnostics
// only, like Resource.
#pragma once

#include "resources/context.h"
#include "schema/schema.h"
#include "value/diagnostics.h"
#include "value/value.h"

namespace pgha::resources {

class DataSource {
 public:
  explicit DataSource(const schema::Schema& schema) : schema_(schema) {}
  virtual ~DataSource() = default;

  const schema::Schema& schema() const { return schema_; }

  // Checks beyond the schema's validators, on a config that may hold unknowns.
  virtual void ValidateConfig(const value::Value& config, value::Diagnostics& diags) const = 0;
  // The state for a wholly known config; null with diagnostics on failure.
  virtual value::Value Read(const Context& ctx, const value::Value& config, value::Diagnostics& diags) const = 0;

 private:
  const schema::Schema& schema_;
};

}  // namespace pgha::resources
