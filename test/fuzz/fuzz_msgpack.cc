// The msgpack DynamicValue codec: any bytes decode to a value or an error,
// never a crash or a huge allocation; whatever decodes re-encodes to bytes
// that decode and re-encode to themselves. (Not to the same value: like cty,
// pgha writes an unknown or null as itself even where a dynamic type would
// wrap it, so ["number", <unknown>] comes back as an unknown of dynamic type.)
#include <cstdlib>

#include "value/msgpack_codec.h"
#include "value/type.h"

using pgha::value::DecodeMsgpack;
using pgha::value::EncodeMsgpack;
using pgha::value::Type;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Type kTypes[] = {Type::Dynamic(), Type::List(Type::String()),
                                Type::Map(Type::Number()),
                                Type::Object({{"a", Type::String()}, {"b", Type::List(Type::Dynamic())}})};
  if (size == 0) return 0;
  const Type& type = kTypes[data[0] % 4];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  auto decoded = DecodeMsgpack(bytes, type);
  if (!decoded.ok()) return 0;
  const std::string again = EncodeMsgpack(*decoded, type);
  auto round = DecodeMsgpack(again, type);
  if (!round.ok() || EncodeMsgpack(*round, type) != again) std::abort();
  return 0;
}
