#include "value/json_codec.h"

#include "absl/status/status.h"
#include "base/strings.h"

namespace pgha::value {

absl::StatusOr<Value> DecodeJson(const nlohmann::json& json, const Type& type) {
  if (json.is_null()) return Value::Null(type);
  auto mismatch = [&] {
    return absl::InvalidArgumentError(pgha::StrCat("JSON ", json.type_name(), " does not fit type ", type.ToJsonText()));
  };
  switch (type.kind()) {
    case Type::Kind::kDynamic: {
      if (!json.is_object() || !json.contains("type") || !json.contains("value")) return mismatch();
      auto actual = Type::FromJson(json["type"]);
      if (!actual.ok()) return actual.status();
      return DecodeJson(json["value"], *actual);
    }
    case Type::Kind::kString:
      if (!json.is_string()) return mismatch();
      return Value::String(json.get<std::string>());
    case Type::Kind::kNumber:
      if (json.is_number_integer() && !json.is_number_unsigned()) return Value::Int(json.get<int64_t>());
      if (json.is_number_unsigned()) {
        uint64_t u = json.get<uint64_t>();
        if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::Int(static_cast<int64_t>(u));
        auto n = Number::Decimal(pgha::StrCat(u));
        if (!n.ok()) return n.status();
        return Value::NumberValue(*n);
      }
      if (json.is_number_float()) return Value::NumberValue(Number::Float(json.get<double>()));
      if (json.is_string()) {
        auto n = Number::Decimal(json.get<std::string>());
        if (!n.ok()) return n.status();
        return Value::NumberValue(*n);
      }
      return mismatch();
    case Type::Kind::kBool:
      if (!json.is_boolean()) return mismatch();
      return Value::Bool(json.get<bool>());
    case Type::Kind::kList:
    case Type::Kind::kSet: {
      if (!json.is_array()) return mismatch();
      std::vector<Value> elements;
      for (const auto& item : json) {
        auto e = DecodeJson(item, type.element());
        if (!e.ok()) return e.status();
        elements.push_back(*std::move(e));
      }
      if (type.kind() == Type::Kind::kList) return Value::List(type.element(), std::move(elements));
      return Value::Set(type.element(), std::move(elements));
    }
    case Type::Kind::kTuple: {
      if (!json.is_array() || json.size() != type.elements().size()) return mismatch();
      std::vector<Value> elements;
      for (size_t i = 0; i < json.size(); ++i) {
        auto e = DecodeJson(json[i], type.elements()[i]);
        if (!e.ok()) return e.status();
        elements.push_back(*std::move(e));
      }
      return Value::Tuple(std::move(elements));
    }
    case Type::Kind::kMap: {
      if (!json.is_object()) return mismatch();
      std::map<std::string, Value> entries;
      for (const auto& [k, item] : json.items()) {
        auto e = DecodeJson(item, type.element());
        if (!e.ok()) return e.status();
        entries.emplace(k, *std::move(e));
      }
      return Value::Map(type.element(), std::move(entries));
    }
    case Type::Kind::kObject: {
      if (!json.is_object()) return mismatch();
      const auto& attr_types = type.attributes();
      for (const auto& [k, item] : json.items()) {
        if (!attr_types.contains(k)) return absl::InvalidArgumentError(pgha::StrCat("unsupported attribute \"", k, "\""));
      }
      std::map<std::string, Value> attrs;
      for (const auto& [name, t] : attr_types) {
        auto it = json.find(name);
        if (it == json.end()) {
          attrs.emplace(name, Value::Null(t));
          continue;
        }
        auto e = DecodeJson(*it, t);
        if (!e.ok()) return absl::InvalidArgumentError(pgha::StrCat(name, ": ", e.status().message()));
        attrs.emplace(name, *std::move(e));
      }
      return Value::Object(std::move(attrs));
    }
  }
  return mismatch();
}

absl::StatusOr<Value> DecodeJsonText(std::string_view text, const Type& type) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("state is not valid JSON");
  return DecodeJson(json, type);
}

nlohmann::json EncodeJson(const Value& value, const Type& type) {
  if (value.IsNull() || value.IsUnknown()) return nullptr;
  if (type.kind() == Type::Kind::kDynamic) {
    return nlohmann::json{{"type", value.type().ToJson()}, {"value", EncodeJson(value, value.type())}};
  }
  switch (type.kind()) {
    case Type::Kind::kString:
      return value.AsString();
    case Type::Kind::kNumber: {
      const Number& n = value.AsNumber();
      if (n.is_int()) return n.AsInt64();
      if (n.is_float()) return n.AsDouble();
      return nlohmann::json::parse(n.decimal_text(), nullptr, false);
    }
    case Type::Kind::kBool:
      return value.AsBool();
    case Type::Kind::kList:
    case Type::Kind::kSet: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : value.Elements()) out.push_back(EncodeJson(e, type.element()));
      return out;
    }
    case Type::Kind::kTuple: {
      nlohmann::json out = nlohmann::json::array();
      for (size_t i = 0; i < value.Elements().size(); ++i) {
        out.push_back(EncodeJson(value.Elements()[i], type.elements()[i]));
      }
      return out;
    }
    case Type::Kind::kMap: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [k, e] : value.Entries()) out[k] = EncodeJson(e, type.element());
      return out;
    }
    case Type::Kind::kObject: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [name, t] : type.attributes()) {
        auto it = value.Entries().find(name);
        out[name] = it == value.Entries().end() ? nlohmann::json(nullptr) : EncodeJson(it->second, t);
      }
      return out;
    }
    case Type::Kind::kDynamic:
      break;
  }
  return nullptr;
}

}  // namespace pgha::value
