// The schema-driven half of planning, the same for every resource: defaults
// fill null optional attributes, computed attributes become "known after
// apply" when they may change, and force_new attributes that differ from the
// prior state ask Terraform for a replacement. Resources refine the result.
#pragma once

#include <vector>

#include "schema/schema.h"
#include "value/path.h"
#include "value/value.h"

namespace pgha::schema {

struct PlannedChange {
  value::Value planned;
  std::vector<value::Path> requires_replace;
};

// prior is null on create. proposed and config are as Terraform sent them.
PlannedChange PlanChange(const Schema& schema, const value::Value& prior, const value::Value& proposed,
                         const value::Value& config);

// Paths of force_new attributes and blocks whose planned value differs from
// (or may differ from) the prior value.
std::vector<value::Path> ReplacePaths(const Block& block, const value::Value& prior, const value::Value& planned);

}  // namespace pgha::schema
