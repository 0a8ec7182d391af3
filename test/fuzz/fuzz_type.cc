// Type constraints (the JSON Terraform sends for dynamic values): a type or
// an error, never a stack overflow; a parsed type prints back to itself.
#include <cstdlib>

#include "value/type.h"

using pgha::value::Type;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto type = Type::FromJsonText(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!type.ok()) return 0;
  auto again = Type::FromJsonText(type->ToJsonText());
  if (!again.ok() || !(*again == *type)) std::abort();
  return 0;
}
