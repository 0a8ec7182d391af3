// Terraform's type system (cty): primitives, collections, structural types
// and the dynamic pseudo-type, plus the JSON type-constraint form the
// protocol uses in schemas.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"

namespace pgha::value {

class Type {
 public:
  enum class Kind { kString, kNumber, kBool, kDynamic, kList, kSet, kMap, kObject, kTuple };

  // The dynamic pseudo-type.
  Type();

  static Type String();
  static Type Number();
  static Type Bool();
  static Type Dynamic();
  static Type List(Type element);
  static Type Set(Type element);
  static Type Map(Type element);
  static Type Object(std::map<std::string, Type> attributes);
  static Type Tuple(std::vector<Type> elements);

  // Parses a type constraint such as "string" or ["list","string"].
  static absl::StatusOr<Type> FromJson(const nlohmann::json& json);
  static absl::StatusOr<Type> FromJsonText(std::string_view text);
  nlohmann::json ToJson() const;
  std::string ToJsonText() const;

  Kind kind() const;
  bool IsPrimitive() const;
  bool IsCollection() const;  // list, set, map
  // For list, set and map.
  const Type& element() const;
  // For objects, sorted by name as cty keeps them.
  const std::map<std::string, Type>& attributes() const;
  // For tuples.
  const std::vector<Type>& elements() const;
  // True when the type is or contains the dynamic pseudo-type.
  bool HasDynamic() const;

  // A short human form for diagnostics: "list of string".
  std::string FriendlyName() const;

  friend bool operator==(const Type& a, const Type& b);

 private:
  struct Impl;
  static const std::shared_ptr<const Impl>& Primitive(Kind kind);
  static absl::StatusOr<Type> FromJson(const nlohmann::json& json, int depth);
  explicit Type(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  // Shared and immutable: types are copied freely between values.
  std::shared_ptr<const Impl> impl_;
};

}  // namespace pgha::value
