#include "value/msgpack_codec.h"

#include <cmath>
#include <limits>

#include <msgpack.hpp>

#include "absl/status/status.h"
#include "base/strings.h"

namespace pgha::value {
namespace {

// cty: an extension value with this type code carries refinements.
constexpr int8_t kRefinedUnknownExt = 12;
// cty rejects refinement payloads larger than this.
constexpr size_t kMaxRefinementPayload = 1024;

enum RefinementKey : int64_t {
  kNullness = 1,
  kStringPrefix = 2,
  kNumberLower = 3,
  kNumberUpper = 4,
  kLengthMin = 5,
  kLengthMax = 6,
};

absl::Status Mismatch(const Type& type, const msgpack::object& obj) {
  return absl::InvalidArgumentError(
      pgha::StrCat("msgpack value of kind ", static_cast<int>(obj.type), " does not fit type ", type.ToJsonText()));
}

absl::StatusOr<Number> DecodeNumber(const msgpack::object& obj) {
  switch (obj.type) {
    case msgpack::type::POSITIVE_INTEGER:
      if (obj.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Number::Decimal(pgha::StrCat(obj.via.u64));
      }
      return Number::Int(static_cast<int64_t>(obj.via.u64));
    case msgpack::type::NEGATIVE_INTEGER:
      return Number::Int(obj.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      if (!std::isfinite(obj.via.f64)) return absl::InvalidArgumentError("NaN and infinity are not Terraform numbers");
      return Number::Float(obj.via.f64);
    case msgpack::type::STR:
      return Number::Decimal(std::string(obj.via.str.ptr, obj.via.str.size));
    default:
      return absl::InvalidArgumentError("expected a number");
  }
}

// Every size a msgpack header claims is bounded by the bytes actually there
// (an element takes at least one byte), and nesting by what any Terraform
// value needs: a 5-byte header claiming 4 billion elements must not make the
// unpacker allocate for them.
constexpr std::size_t kMaxDepth = 128;
msgpack::unpack_limit LimitsFor(std::size_t bytes) {
  return msgpack::unpack_limit(bytes, bytes, bytes, bytes, bytes, kMaxDepth);
}

absl::StatusOr<Refinements> DecodeRefinements(std::string_view payload) {
  Refinements r;
  if (payload.size() > kMaxRefinementPayload) return absl::InvalidArgumentError("refinement payload too large");
  std::size_t offset = 0;
  msgpack::object_handle handle =
      msgpack::unpack(payload.data(), payload.size(), offset, nullptr, nullptr, LimitsFor(payload.size()));
  const msgpack::object& obj = handle.get();
  if (obj.type != msgpack::type::MAP) return absl::InvalidArgumentError("refinements must be a map");
  for (uint32_t i = 0; i < obj.via.map.size; ++i) {
    const auto& kv = obj.via.map.ptr[i];
    if (kv.key.type != msgpack::type::POSITIVE_INTEGER) continue;
    const msgpack::object& v = kv.val;
    auto bound = [&]() -> absl::StatusOr<std::pair<Number, bool>> {
      if (v.type != msgpack::type::ARRAY || v.via.array.size != 2 ||
          v.via.array.ptr[1].type != msgpack::type::BOOLEAN) {
        return absl::InvalidArgumentError("number bound must be [number, inclusive]");
      }
      auto n = DecodeNumber(v.via.array.ptr[0]);
      if (!n.ok()) return n.status();
      return std::make_pair(*n, v.via.array.ptr[1].via.boolean);
    };
    switch (kv.key.via.u64) {
      case kNullness:
        if (v.type == msgpack::type::BOOLEAN) r.not_null = !v.via.boolean;
        break;
      case kStringPrefix:
        if (v.type == msgpack::type::STR) r.string_prefix = std::string(v.via.str.ptr, v.via.str.size);
        break;
      case kNumberLower: {
        auto b = bound();
        if (!b.ok()) return b.status();
        r.number_lower = *b;
        break;
      }
      case kNumberUpper: {
        auto b = bound();
        if (!b.ok()) return b.status();
        r.number_upper = *b;
        break;
      }
      case kLengthMin:
      case kLengthMax: {
        auto n = DecodeNumber(v);
        if (!n.ok() || !n->FitsInt64()) return absl::InvalidArgumentError("length bound must be an integer");
        (kv.key.via.u64 == kLengthMin ? r.length_min : r.length_max) = n->AsInt64();
        break;
      }
      default:
        break;  // Unknown refinement keys are ignored, as cty does.
    }
  }
  return r;
}

absl::StatusOr<Value> Decode(const msgpack::object& obj, const Type& type) {
  if (obj.type == msgpack::type::EXT) {
    // Any extension value is an unknown; only type 12 with a payload is refined.
    Refinements refinements;
    if (obj.via.ext.type() == kRefinedUnknownExt && obj.via.ext.size > 1) {
      auto r = DecodeRefinements(std::string_view(obj.via.ext.data(), obj.via.ext.size));
      if (!r.ok()) return r.status();
      refinements = *std::move(r);
    }
    return Value::Unknown(type, std::move(refinements));
  }
  if (obj.type == msgpack::type::NIL) return Value::Null(type);

  switch (type.kind()) {
    case Type::Kind::kDynamic: {
      if (obj.type != msgpack::type::ARRAY || obj.via.array.size != 2) {
        return absl::InvalidArgumentError("dynamic value must be a [type, value] pair");
      }
      const msgpack::object& type_obj = obj.via.array.ptr[0];
      std::string_view type_json;
      if (type_obj.type == msgpack::type::BIN) {
        type_json = std::string_view(type_obj.via.bin.ptr, type_obj.via.bin.size);
      } else if (type_obj.type == msgpack::type::STR) {
        type_json = std::string_view(type_obj.via.str.ptr, type_obj.via.str.size);
      } else {
        return absl::InvalidArgumentError("dynamic value type must be JSON bytes");
      }
      auto actual = Type::FromJsonText(type_json);
      if (!actual.ok()) return actual.status();
      return Decode(obj.via.array.ptr[1], *actual);
    }
    case Type::Kind::kString:
      if (obj.type == msgpack::type::STR) return Value::String(std::string(obj.via.str.ptr, obj.via.str.size));
      if (obj.type == msgpack::type::BIN) return Value::String(std::string(obj.via.bin.ptr, obj.via.bin.size));
      return Mismatch(type, obj);
    case Type::Kind::kNumber: {
      auto n = DecodeNumber(obj);
      if (!n.ok()) return n.status();
      return Value::NumberValue(*std::move(n));
    }
    case Type::Kind::kBool:
      if (obj.type != msgpack::type::BOOLEAN) return Mismatch(type, obj);
      return Value::Bool(obj.via.boolean);
    case Type::Kind::kList:
    case Type::Kind::kSet: {
      if (obj.type != msgpack::type::ARRAY) return Mismatch(type, obj);
      std::vector<Value> elements;
      elements.reserve(obj.via.array.size);
      for (uint32_t i = 0; i < obj.via.array.size; ++i) {
        auto e = Decode(obj.via.array.ptr[i], type.element());
        if (!e.ok()) return e.status();
        elements.push_back(*std::move(e));
      }
      if (type.kind() == Type::Kind::kList) return Value::List(type.element(), std::move(elements));
      return Value::Set(type.element(), std::move(elements));
    }
    case Type::Kind::kTuple: {
      if (obj.type != msgpack::type::ARRAY || obj.via.array.size != type.elements().size()) {
        return Mismatch(type, obj);
      }
      std::vector<Value> elements;
      for (uint32_t i = 0; i < obj.via.array.size; ++i) {
        auto e = Decode(obj.via.array.ptr[i], type.elements()[i]);
        if (!e.ok()) return e.status();
        elements.push_back(*std::move(e));
      }
      return Value::Tuple(std::move(elements));
    }
    case Type::Kind::kMap: {
      if (obj.type != msgpack::type::MAP) return Mismatch(type, obj);
      std::map<std::string, Value> entries;
      for (uint32_t i = 0; i < obj.via.map.size; ++i) {
        const auto& kv = obj.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR) return absl::InvalidArgumentError("map keys must be strings");
        auto e = Decode(kv.val, type.element());
        if (!e.ok()) return e.status();
        entries.emplace(std::string(kv.key.via.str.ptr, kv.key.via.str.size), *std::move(e));
      }
      return Value::Map(type.element(), std::move(entries));
    }
    case Type::Kind::kObject: {
      if (obj.type != msgpack::type::MAP) return Mismatch(type, obj);
      const auto& attr_types = type.attributes();
      if (obj.via.map.size != attr_types.size()) {
        return absl::InvalidArgumentError(pgha::StrCat("an object with ", attr_types.size(),
                                                       " attributes is required (", obj.via.map.size, " given)"));
      }
      std::map<std::string, Value> attrs;
      for (uint32_t i = 0; i < obj.via.map.size; ++i) {
        const auto& kv = obj.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR) return absl::InvalidArgumentError("object keys must be strings");
        std::string name(kv.key.via.str.ptr, kv.key.via.str.size);
        auto it = attr_types.find(name);
        if (it == attr_types.end()) return absl::InvalidArgumentError(pgha::StrCat("unsupported attribute \"", name, "\""));
        auto e = Decode(kv.val, it->second);
        if (!e.ok()) return e.status();
        attrs.emplace(std::move(name), *std::move(e));
      }
      // Keep the declared attribute types even where values are dynamic.
      for (const auto& [name, t] : attr_types) {
        if (!attrs.contains(name)) return absl::InvalidArgumentError(pgha::StrCat("missing attribute \"", name, "\""));
      }
      return Value::Object(std::move(attrs));
    }
  }
  return Mismatch(type, obj);
}

using Packer = msgpack::packer<msgpack::sbuffer>;

void PackNumber(Packer& pk, const Number& n) {
  if (n.is_int()) {
    pk.pack_int64(n.AsInt64());
  } else if (n.is_float()) {
    pk.pack_double(n.AsDouble());
  } else {
    const std::string& text = n.decimal_text();
    pk.pack_str(static_cast<uint32_t>(text.size()));
    pk.pack_str_body(text.data(), static_cast<uint32_t>(text.size()));
  }
}

void PackString(Packer& pk, const std::string& s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

void PackUnknown(Packer& pk, const Refinements& r) {
  if (r.empty()) {
    // cty's plain unknown: fixext1 of type 0.
    const char zero = 0;
    pk.pack_ext(1, 0);
    pk.pack_ext_body(&zero, 1);
    return;
  }
  msgpack::sbuffer payload;
  Packer inner(payload);
  uint32_t count = (r.not_null ? 1 : 0) + (r.string_prefix ? 1 : 0) + (r.number_lower ? 1 : 0) +
                   (r.number_upper ? 1 : 0) + (r.length_min ? 1 : 0) + (r.length_max ? 1 : 0);
  inner.pack_map(count);
  if (r.not_null) {
    inner.pack_int64(kNullness);
    inner.pack_false();
  }
  if (r.string_prefix) {
    inner.pack_int64(kStringPrefix);
    PackString(inner, *r.string_prefix);
  }
  for (const auto& [key, bound] : {std::pair{kNumberLower, &r.number_lower}, std::pair{kNumberUpper, &r.number_upper}}) {
    if (!*bound) continue;
    inner.pack_int64(key);
    inner.pack_array(2);
    PackNumber(inner, (*bound)->first);
    if ((*bound)->second) {
      inner.pack_true();
    } else {
      inner.pack_false();
    }
  }
  if (r.length_min) {
    inner.pack_int64(kLengthMin);
    inner.pack_int64(*r.length_min);
  }
  if (r.length_max) {
    inner.pack_int64(kLengthMax);
    inner.pack_int64(*r.length_max);
  }
  pk.pack_ext(payload.size(), kRefinedUnknownExt);
  pk.pack_ext_body(payload.data(), static_cast<uint32_t>(payload.size()));
}

void Encode(Packer& pk, const Value& v, const Type& type) {
  if (v.IsUnknown()) {
    PackUnknown(pk, v.refinements());
    return;
  }
  if (v.IsNull()) {
    pk.pack_nil();
    return;
  }
  if (type.kind() == Type::Kind::kDynamic) {
    // The value's own type travels with it.
    const std::string type_json = v.type().ToJsonText();
    pk.pack_array(2);
    pk.pack_bin(static_cast<uint32_t>(type_json.size()));
    pk.pack_bin_body(type_json.data(), static_cast<uint32_t>(type_json.size()));
    Encode(pk, v, v.type());
    return;
  }
  switch (type.kind()) {
    case Type::Kind::kString:
      PackString(pk, v.AsString());
      return;
    case Type::Kind::kNumber:
      PackNumber(pk, v.AsNumber());
      return;
    case Type::Kind::kBool:
      if (v.AsBool()) {
        pk.pack_true();
      } else {
        pk.pack_false();
      }
      return;
    case Type::Kind::kList:
    case Type::Kind::kSet:
      pk.pack_array(static_cast<uint32_t>(v.Elements().size()));
      for (const auto& e : v.Elements()) Encode(pk, e, type.element());
      return;
    case Type::Kind::kTuple:
      pk.pack_array(static_cast<uint32_t>(v.Elements().size()));
      for (size_t i = 0; i < v.Elements().size(); ++i) Encode(pk, v.Elements()[i], type.elements()[i]);
      return;
    case Type::Kind::kMap:
      pk.pack_map(static_cast<uint32_t>(v.Entries().size()));
      for (const auto& [k, e] : v.Entries()) {
        PackString(pk, k);
        Encode(pk, e, type.element());
      }
      return;
    case Type::Kind::kObject: {
      // Exactly one entry per declared attribute, sorted, nulls included.
      const auto& attr_types = type.attributes();
      pk.pack_map(static_cast<uint32_t>(attr_types.size()));
      const auto& entries = v.Entries();
      for (const auto& [name, t] : attr_types) {
        PackString(pk, name);
        auto it = entries.find(name);
        if (it == entries.end()) {
          pk.pack_nil();
        } else {
          Encode(pk, it->second, t);
        }
      }
      return;
    }
    case Type::Kind::kDynamic:
      return;  // handled above
  }
}

}  // namespace

absl::StatusOr<Value> DecodeMsgpack(std::string_view data, const Type& type) {
  if (data.empty()) return Value::Null(type);
  try {
    std::size_t offset = 0;
    msgpack::object_handle handle =
        msgpack::unpack(data.data(), data.size(), offset, nullptr, nullptr, LimitsFor(data.size()));
    if (offset != data.size()) return absl::InvalidArgumentError("trailing bytes after msgpack value");
    return Decode(handle.get(), type);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(pgha::StrCat("malformed msgpack: ", e.what()));
  }
}

std::string EncodeMsgpack(const Value& value, const Type& type) {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  Encode(pk, value, type);
  return std::string(buffer.data(), buffer.size());
}

}  // namespace pgha::value
