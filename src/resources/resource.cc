#include "resources/resource.h"

#include "base/strings.h"

namespace pgha::resources {

void Resource::ValidateConfig(const value::Value&, value::Diagnostics&) const {}

void Resource::ModifyPlan(const Context&, const value::Value&, const value::Value&, schema::PlannedChange&,
                          value::Diagnostics&) const {}

void Resource::PlanDestroy(const Context&, const value::Value&, value::Diagnostics&) const {}

value::Value Resource::Update(const Context&, const value::Value&, const value::Value&,
                              value::Diagnostics& diags) const {
  diags.AddError(pgha::StrCat(schema_.name, " cannot be updated in place"),
                 "Every change to this resource should have planned a replacement. This is a bug in pgha.");
  return value::Value::Null(schema_.type);
}

value::Value Resource::Import(const Context&, const std::string&, value::Diagnostics& diags) const {
  diags.AddError(pgha::StrCat(schema_.name, " does not support import"),
                 "Declare the resource in configuration and let pgha create it.");
  return value::Value::Null(schema_.type);
}

}  // namespace pgha::resources
