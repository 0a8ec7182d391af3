// A resource's `timeouts` block, as Terraform's convention has it: one
// duration string per operation ("30m"), validated at plan time, with its
// default in the resource's schema.
#pragma once

#include <chrono>

#include "schema/reader.h"

namespace pgha::resources {

// `timeouts.<operation>` of `config` ("create", "update", "delete").
std::chrono::seconds TimeoutOf(const schema::Reader& config, const char* operation);

}  // namespace pgha::resources
