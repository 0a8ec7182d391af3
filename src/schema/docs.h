// Renders a schema as a Markdown reference page, so docs/ is generated from
// the same data as the wire schema and can never drift from it.
#pragma once

#include <string>
#include <string_view>

#include "schema/schema.h"

namespace pgha::schema {

// example_hcl may be empty; it is shown under "Example Usage".
std::string RenderMarkdown(const Schema& schema, std::string_view example_hcl);

}  // namespace pgha::schema
