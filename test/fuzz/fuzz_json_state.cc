// Raw state as Terraform sends it (JSON), against the pgha_certificate and
// VM resource types: a value or an error, never a crash.
#include "value/json_codec.h"
#include "value/type.h"

using pgha::value::DecodeJsonText;
using pgha::value::Type;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Type kState = Type::Object({
      {"name", Type::String()},
      {"memory", Type::Number()},
      {"running", Type::Bool()},
      {"params", Type::Map(Type::String())},
      {"ips", Type::List(Type::String())},
      {"nic", Type::List(Type::Object({{"ip", Type::String()}, {"prefix_length", Type::Number()}}))},
      {"extra", Type::Dynamic()},
  });
  (void)DecodeJsonText(std::string_view(reinterpret_cast<const char*>(data), size), kState);
  (void)DecodeJsonText(std::string_view(reinterpret_cast<const char*>(data), size), Type::Dynamic());
  return 0;
}
