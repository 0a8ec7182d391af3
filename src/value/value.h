// Terraform values: typed, possibly null, possibly unknown (with cty's
// refinements), nested to any depth. Immutable by convention: builders return
// new values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "value/type.h"

namespace pgha::value {

// Terraform numbers are arbitrary-precision decimals. Integers that fit
// int64 and finite doubles are held natively; anything else keeps its exact
// decimal text so it round-trips unchanged.
class Number {
 public:
  static Number Int(int64_t v);
  static Number Float(double v);
  // Accepts the decimal text cty's msgpack codec uses for big numbers.
  static absl::StatusOr<Number> Decimal(std::string text);

  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_decimal() const { return kind_ == Kind::kDecimal; }
  // True when the number is a whole number that fits int64.
  bool FitsInt64() const;
  int64_t AsInt64() const;  // requires FitsInt64()
  double AsDouble() const;
  const std::string& decimal_text() const { return text_; }
  std::string ToString() const;

  friend bool operator==(const Number& a, const Number& b);

 private:
  enum class Kind { kInt, kFloat, kDecimal };
  Kind kind_ = Kind::kInt;
  int64_t int_ = 0;
  double float_ = 0;
  std::string text_;
};

// What Terraform knows about a value it does not know yet (cty refinements).
struct Refinements {
  bool not_null = false;
  std::optional<std::string> string_prefix;
  std::optional<std::pair<Number, bool>> number_lower;  // bound, inclusive
  std::optional<std::pair<Number, bool>> number_upper;
  std::optional<int64_t> length_min;
  std::optional<int64_t> length_max;

  bool empty() const {
    return !not_null && !string_prefix && !number_lower && !number_upper && !length_min && !length_max;
  }
  friend bool operator==(const Refinements&, const Refinements&) = default;
};

class Value {
 public:
  // A null of dynamic type, the default.
  Value();

  static Value Null(Type type);
  static Value Unknown(Type type, Refinements refinements = {});
  static Value String(std::string s);
  static Value NumberValue(Number n);
  static Value Int(int64_t v) { return NumberValue(Number::Int(v)); }
  static Value Bool(bool b);
  static Value List(Type element, std::vector<Value> elements);
  static Value Set(Type element, std::vector<Value> elements);
  static Value Map(Type element, std::map<std::string, Value> entries);
  // The object's type is taken from its attribute values.
  static Value Object(std::map<std::string, Value> attributes);
  static Value Tuple(std::vector<Value> elements);
  // Convenience: a list or set of strings.
  static Value StringList(const std::vector<std::string>& items);
  static Value StringSet(const std::vector<std::string>& items);

  const Type& type() const { return type_; }
  bool IsNull() const { return state_ == State::kNull; }
  bool IsUnknown() const { return state_ == State::kUnknown; }
  bool IsKnown() const { return state_ == State::kKnown; }
  // Known all the way down (nulls inside are fine).
  bool IsWhollyKnown() const;
  const Refinements& refinements() const { return refinements_; }

  const std::string& AsString() const;
  const Number& AsNumber() const;
  bool AsBool() const;
  // List, set and tuple elements.
  const std::vector<Value>& Elements() const;
  // Map entries or object attributes.
  const std::map<std::string, Value>& Entries() const;
  // Object attribute; a missing name is a programming error.
  const Value& GetAttr(const std::string& name) const;
  // Returns a copy with one object attribute replaced.
  Value WithAttr(const std::string& name, Value v) const;
  // Collection length for known lists, sets, maps and tuples.
  size_t Length() const;

  // Equality of the values as Terraform compares them: same type, same
  // null/unknown-ness, same contents; sets compare without order.
  // Refinements are ignored.
  friend bool operator==(const Value& a, const Value& b);

  // A compact, non-secret-aware rendering for tests and diagnostics of
  // non-sensitive values.
  std::string DebugString() const;

 private:
  enum class State { kNull, kUnknown, kKnown };
  using Data = std::variant<std::monostate, bool, Number, std::string, std::vector<Value>,
                            std::map<std::string, Value>>;
  Value(Type type, State state, Data data) : type_(std::move(type)), state_(state), data_(std::move(data)) {}

  Type type_;
  State state_;
  Data data_;
  Refinements refinements_;  // only for unknown values
};

}  // namespace pgha::value
