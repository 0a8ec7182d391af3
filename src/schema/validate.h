// Schema-driven validation: runs each attribute's validators over a
// configuration value and reports failures at the attribute's path. Unknown
// values are skipped; they are checked again once known.
#pragma once

#include "schema/schema.h"
#include "value/diagnostics.h"
#include "value/value.h"

namespace pgha::schema {

void ValidateConfig(const Block& block, const value::Value& config, value::Diagnostics& diags);

// One validator against one known, non-null primitive. Returns an empty
// string when the value passes, else what is wrong (no value text: it may be
// secret).
std::string CheckValidator(const Validator& validator, const value::Value& v);

}  // namespace pgha::schema
