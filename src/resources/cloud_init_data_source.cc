#include "resources/cloud_init_data_source.h"

#include "base/strings.h"
#include "schema/plan.h"
#include "schema/reader.h"

namespace pgha::resources {

using value::Diagnostics;
using value::Value;

void CloudInitDataSource::ValidateConfig(const Value& config, Diagnostics& diags) const {
  const schema::Reader reader(schema().block, config);
  ValidateGuest(reader, diags);
  role_->Validate(reader, diags);
}

Value CloudInitDataSource::Read(const Context&, const Value& config, Diagnostics& diags) const {
  // Defaults as a resource's plan would fill them.
  Value state = schema::PlanChange(schema(), Value(), config, config).planned;
  const schema::Reader reader(schema().block, state);
  auto role = role_->Render(reader);
  if (!role.ok()) {
    diags.AddError(pgha::StrCat("Cannot render the ", role_->noun(), "'s configuration"),
                   std::string(role.status().message()));
    return Value::Null(schema().type);
  }
  auto docs = RenderGuest(reader, *role, reader.String("data_disk_device"));
  if (!docs.ok()) {
    diags.AddError(pgha::StrCat("Cannot render the ", role_->noun(), "'s configuration"),
                   std::string(docs.status().message()));
    return Value::Null(schema().type);
  }
  state = state.WithAttr("id", Value::String(docs->digest));
  state = state.WithAttr("user_data", Value::String(docs->seed.user_data));
  state = state.WithAttr("user_data_digest", Value::String(docs->digest));
  state = state.WithAttr("meta_data", Value::String(docs->seed.meta_data));
  state = state.WithAttr("network_config", Value::String(docs->seed.network_config));
  return state;
}

}  // namespace pgha::resources
