#include "value/value.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "base/strings.h"
#include "absl/strings/str_join.h"

namespace pgha::value {

Number Number::Int(int64_t v) {
  Number n;
  n.kind_ = Kind::kInt;
  n.int_ = v;
  return n;
}

Number Number::Float(double v) {
  double whole;
  if (std::isfinite(v) && std::modf(v, &whole) == 0.0 && whole >= -9.2e18 && whole <= 9.2e18) {
    return Int(static_cast<int64_t>(whole));
  }
  Number n;
  n.kind_ = Kind::kFloat;
  n.float_ = v;
  return n;
}

absl::StatusOr<Number> Number::Decimal(std::string text) {
  int64_t i = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && end == text.data() + text.size()) return Int(i);
  // Validate the decimal shape: [-]digits[.digits][e[+-]digits]
  size_t pos = 0;
  auto digits = [&] {
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    return pos > start;
  };
  if (pos < text.size() && text[pos] == '-') ++pos;
  bool ok = digits();
  if (ok && pos < text.size() && text[pos] == '.') {
    ++pos;
    ok = digits();
  }
  if (ok && pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
    ok = digits();
  }
  if (!ok || pos != text.size()) {
    return absl::InvalidArgumentError(pgha::StrCat("\"", text, "\" is not a number"));
  }
  Number n;
  n.kind_ = Kind::kDecimal;
  n.float_ = std::strtod(text.c_str(), nullptr);
  n.text_ = std::move(text);
  return n;
}

bool Number::FitsInt64() const { return kind_ == Kind::kInt; }
int64_t Number::AsInt64() const { return int_; }
double Number::AsDouble() const { return kind_ == Kind::kInt ? static_cast<double>(int_) : float_; }

std::string Number::ToString() const {
  switch (kind_) {
    case Kind::kInt:
      return pgha::StrCat(int_);
    case Kind::kFloat: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), float_);
      return ec == std::errc() ? std::string(buf, end) : pgha::StrCat(float_);
    }
    case Kind::kDecimal:
      return text_;
  }
  return "";
}

bool operator==(const Number& a, const Number& b) {
  if (a.kind_ == Number::Kind::kInt && b.kind_ == Number::Kind::kInt) return a.int_ == b.int_;
  if (a.kind_ == Number::Kind::kDecimal && b.kind_ == Number::Kind::kDecimal) return a.text_ == b.text_;
  return a.AsDouble() == b.AsDouble();
}

Value::Value() : type_(Type::Dynamic()), state_(State::kNull) {}

Value Value::Null(Type type) { return Value(std::move(type), State::kNull, std::monostate{}); }
Value Value::Unknown(Type type, Refinements refinements) {
  Value v(std::move(type), State::kUnknown, std::monostate{});
  v.refinements_ = std::move(refinements);
  return v;
}
Value Value::String(std::string s) { return Value(Type::String(), State::kKnown, std::move(s)); }
Value Value::NumberValue(Number n) { return Value(Type::Number(), State::kKnown, std::move(n)); }
Value Value::Bool(bool b) { return Value(Type::Bool(), State::kKnown, b); }
Value Value::List(Type element, std::vector<Value> elements) {
  return Value(Type::List(std::move(element)), State::kKnown, std::move(elements));
}
Value Value::Set(Type element, std::vector<Value> elements) {
  // Sets hold each value once.
  std::vector<Value> unique;
  for (auto& e : elements) {
    bool seen = false;
    for (const auto& u : unique) {
      if (u == e && e.IsWhollyKnown()) {
        seen = true;
        break;
      }
    }
    if (!seen) unique.push_back(std::move(e));
  }
  return Value(Type::Set(std::move(element)), State::kKnown, std::move(unique));
}
Value Value::Map(Type element, std::map<std::string, Value> entries) {
  return Value(Type::Map(std::move(element)), State::kKnown, std::move(entries));
}
Value Value::Object(std::map<std::string, Value> attributes) {
  std::map<std::string, Type> types;
  for (const auto& [name, v] : attributes) types.emplace(name, v.type());
  return Value(Type::Object(std::move(types)), State::kKnown, std::move(attributes));
}
Value Value::Tuple(std::vector<Value> elements) {
  std::vector<Type> types;
  for (const auto& v : elements) types.push_back(v.type());
  return Value(Type::Tuple(std::move(types)), State::kKnown, std::move(elements));
}
Value Value::StringList(const std::vector<std::string>& items) {
  std::vector<Value> elements;
  for (const auto& s : items) elements.push_back(String(s));
  return List(Type::String(), std::move(elements));
}
Value Value::StringSet(const std::vector<std::string>& items) {
  std::vector<Value> elements;
  for (const auto& s : items) elements.push_back(String(s));
  return Set(Type::String(), std::move(elements));
}

bool Value::IsWhollyKnown() const {
  if (IsUnknown()) return false;
  if (IsNull()) return true;
  if (const auto* elems = std::get_if<std::vector<Value>>(&data_)) {
    for (const auto& e : *elems) {
      if (!e.IsWhollyKnown()) return false;
    }
  }
  if (const auto* entries = std::get_if<std::map<std::string, Value>>(&data_)) {
    for (const auto& [k, e] : *entries) {
      if (!e.IsWhollyKnown()) return false;
    }
  }
  return true;
}

const std::string& Value::AsString() const { return std::get<std::string>(data_); }
const Number& Value::AsNumber() const { return std::get<Number>(data_); }
bool Value::AsBool() const { return std::get<bool>(data_); }
const std::vector<Value>& Value::Elements() const { return std::get<std::vector<Value>>(data_); }
const std::map<std::string, Value>& Value::Entries() const {
  return std::get<std::map<std::string, Value>>(data_);
}

const Value& Value::GetAttr(const std::string& name) const { return Entries().at(name); }

Value Value::WithAttr(const std::string& name, Value v) const {
  auto entries = Entries();
  entries[name] = std::move(v);
  return Object(std::move(entries));
}

size_t Value::Length() const {
  if (const auto* elems = std::get_if<std::vector<Value>>(&data_)) return elems->size();
  if (const auto* entries = std::get_if<std::map<std::string, Value>>(&data_)) return entries->size();
  return 0;
}

bool operator==(const Value& a, const Value& b) {
  if (!(a.type_ == b.type_) || a.state_ != b.state_) return false;
  if (a.state_ != Value::State::kKnown) return true;
  if (a.type_.kind() == Type::Kind::kSet) {
    const auto& ea = a.Elements();
    const auto& eb = b.Elements();
    if (ea.size() != eb.size()) return false;
    for (const auto& x : ea) {
      bool found = false;
      for (const auto& y : eb) {
        if (x == y) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  return a.data_ == b.data_;
}

std::string Value::DebugString() const {
  if (IsNull()) return "null";
  if (IsUnknown()) return "(known after apply)";
  switch (type_.kind()) {
    case Type::Kind::kString:
      return pgha::StrCat("\"", AsString(), "\"");
    case Type::Kind::kNumber:
      return AsNumber().ToString();
    case Type::Kind::kBool:
      return AsBool() ? "true" : "false";
    case Type::Kind::kList:
    case Type::Kind::kSet:
    case Type::Kind::kTuple:
      return pgha::StrCat("[", absl::StrJoin(Elements(), ", ", [](std::string* out, const Value& v) {
                            out->append(v.DebugString());
                          }),
                          "]");
    case Type::Kind::kMap:
    case Type::Kind::kObject:
      return pgha::StrCat("{", absl::StrJoin(Entries(), ", ", [](std::string* out, const auto& kv) {
                            pgha::StrAppend(out, kv.first, " = ", kv.second.DebugString());
                          }),
                          "}");
    case Type::Kind::kDynamic:
      return "dynamic";
  }
  return "?";
}

}  // namespace pgha::value
