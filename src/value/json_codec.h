// The JSON encoding Terraform uses for stored state (RawState.json): objects
// as JSON objects (missing attributes read as null), dynamic values as
// {"type": T, "value": V}. JSON cannot carry unknowns; state never has any.
#pragma once

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "value/type.h"
#include "value/value.h"

namespace pgha::value {

absl::StatusOr<Value> DecodeJson(const nlohmann::json& json, const Type& type);
absl::StatusOr<Value> DecodeJsonText(std::string_view text, const Type& type);
// Unknown values encode as null: callers only encode wholly known values.
nlohmann::json EncodeJson(const Value& value, const Type& type);

}  // namespace pgha::value
