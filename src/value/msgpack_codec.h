// The msgpack encoding Terraform uses for DynamicValue (cty's msgpack
// codec): objects as maps with exactly one entry per attribute, unknowns as
// extension values (type 12 carrying refinements), dynamic values as a
// [type-json, value] pair.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "value/type.h"
#include "value/value.h"

namespace pgha::value {

absl::StatusOr<Value> DecodeMsgpack(std::string_view data, const Type& type);
std::string EncodeMsgpack(const Value& value, const Type& type);

}  // namespace pgha::value
