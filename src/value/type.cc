#include "value/type.h"

#include "absl/status/status.h"
#include "base/strings.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace pgha::value {

struct Type::Impl {
  Kind kind;
  std::vector<Type> element;  // one entry for collections
  std::map<std::string, Type> attributes;
  std::vector<Type> tuple;
};

const std::shared_ptr<const Type::Impl>& Type::Primitive(Type::Kind kind) {
  static const auto* const kTable = new std::shared_ptr<const Type::Impl>[4] {
    std::make_shared<const Type::Impl>(Type::Impl{Type::Kind::kString, {}, {}, {}}),
    std::make_shared<const Type::Impl>(Type::Impl{Type::Kind::kNumber, {}, {}, {}}),
    std::make_shared<const Type::Impl>(Type::Impl{Type::Kind::kBool, {}, {}, {}}),
    std::make_shared<const Type::Impl>(Type::Impl{Type::Kind::kDynamic, {}, {}, {}}),
  };
  return kTable[static_cast<int>(kind)];
}

Type::Type() : impl_(Primitive(Kind::kDynamic)) {}

Type Type::String() { return Type(Primitive(Kind::kString)); }
Type Type::Number() { return Type(Primitive(Kind::kNumber)); }
Type Type::Bool() { return Type(Primitive(Kind::kBool)); }
Type Type::Dynamic() { return Type(Primitive(Kind::kDynamic)); }
Type Type::List(Type element) {
  return Type(std::make_shared<const Impl>(Impl{Kind::kList, {std::move(element)}, {}, {}}));
}
Type Type::Set(Type element) {
  return Type(std::make_shared<const Impl>(Impl{Kind::kSet, {std::move(element)}, {}, {}}));
}
Type Type::Map(Type element) {
  return Type(std::make_shared<const Impl>(Impl{Kind::kMap, {std::move(element)}, {}, {}}));
}
Type Type::Object(std::map<std::string, Type> attributes) {
  return Type(std::make_shared<const Impl>(Impl{Kind::kObject, {}, std::move(attributes), {}}));
}
Type Type::Tuple(std::vector<Type> elements) {
  return Type(std::make_shared<const Impl>(Impl{Kind::kTuple, {}, {}, std::move(elements)}));
}

Type::Kind Type::kind() const { return impl_->kind; }
bool Type::IsPrimitive() const {
  return kind() == Kind::kString || kind() == Kind::kNumber || kind() == Kind::kBool;
}
bool Type::IsCollection() const {
  return kind() == Kind::kList || kind() == Kind::kSet || kind() == Kind::kMap;
}
const Type& Type::element() const { return impl_->element.at(0); }
const std::map<std::string, Type>& Type::attributes() const { return impl_->attributes; }
const std::vector<Type>& Type::elements() const { return impl_->tuple; }

bool Type::HasDynamic() const {
  switch (kind()) {
    case Kind::kDynamic:
      return true;
    case Kind::kList:
    case Kind::kSet:
    case Kind::kMap:
      return element().HasDynamic();
    case Kind::kObject:
      for (const auto& [name, t] : attributes()) {
        if (t.HasDynamic()) return true;
      }
      return false;
    case Kind::kTuple:
      for (const auto& t : elements()) {
        if (t.HasDynamic()) return true;
      }
      return false;
    default:
      return false;
  }
}

bool operator==(const Type& a, const Type& b) {
  if (a.impl_ == b.impl_) return true;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Type::Kind::kList:
    case Type::Kind::kSet:
    case Type::Kind::kMap:
      return a.element() == b.element();
    case Type::Kind::kObject:
      return a.attributes() == b.attributes();
    case Type::Kind::kTuple:
      return a.elements() == b.elements();
    default:
      return true;
  }
}

nlohmann::json Type::ToJson() const {
  switch (kind()) {
    case Kind::kString:
      return "string";
    case Kind::kNumber:
      return "number";
    case Kind::kBool:
      return "bool";
    case Kind::kDynamic:
      return "dynamic";
    case Kind::kList:
      return nlohmann::json::array({"list", element().ToJson()});
    case Kind::kSet:
      return nlohmann::json::array({"set", element().ToJson()});
    case Kind::kMap:
      return nlohmann::json::array({"map", element().ToJson()});
    case Kind::kObject: {
      nlohmann::json attrs = nlohmann::json::object();
      for (const auto& [name, t] : attributes()) attrs[name] = t.ToJson();
      return nlohmann::json::array({"object", attrs});
    }
    case Kind::kTuple: {
      nlohmann::json elems = nlohmann::json::array();
      for (const auto& t : elements()) elems.push_back(t.ToJson());
      return nlohmann::json::array({"tuple", elems});
    }
  }
  return nullptr;
}

std::string Type::ToJsonText() const { return ToJson().dump(); }

absl::StatusOr<Type> Type::FromJson(const nlohmann::json& json) { return FromJson(json, 0); }

absl::StatusOr<Type> Type::FromJson(const nlohmann::json& json, int depth) {
  // Far deeper than any real type; a 20,000-deep constraint must not overflow the stack.
  constexpr int kMaxDepth = 64;
  if (depth > kMaxDepth) return absl::InvalidArgumentError("type constraint nested too deeply");
  if (json.is_string()) {
    const auto& s = json.get_ref<const std::string&>();
    if (s == "string") return String();
    if (s == "number") return Number();
    if (s == "bool") return Bool();
    if (s == "dynamic") return Dynamic();
    return absl::InvalidArgumentError(pgha::StrCat("unknown primitive type \"", s, "\""));
  }
  if (!json.is_array() || json.size() < 2 || !json[0].is_string()) {
    return absl::InvalidArgumentError(pgha::StrCat("invalid type constraint ", json.dump()));
  }
  const auto& kind = json[0].get_ref<const std::string&>();
  if (kind == "list" || kind == "set" || kind == "map") {
    auto element = FromJson(json[1], depth + 1);
    if (!element.ok()) return element.status();
    if (kind == "list") return List(*std::move(element));
    if (kind == "set") return Set(*std::move(element));
    return Map(*std::move(element));
  }
  if (kind == "object") {
    if (!json[1].is_object()) return absl::InvalidArgumentError("object type needs an attribute map");
    std::map<std::string, Type> attrs;
    for (const auto& [name, t] : json[1].items()) {
      auto parsed = FromJson(t, depth + 1);
      if (!parsed.ok()) return parsed.status();
      attrs.emplace(name, *std::move(parsed));
    }
    // A third element lists optional attributes; it only matters for type conversion, not the wire.
    return Object(std::move(attrs));
  }
  if (kind == "tuple") {
    if (!json[1].is_array()) return absl::InvalidArgumentError("tuple type needs an element list");
    std::vector<Type> elems;
    for (const auto& t : json[1]) {
      auto parsed = FromJson(t, depth + 1);
      if (!parsed.ok()) return parsed.status();
      elems.push_back(*std::move(parsed));
    }
    return Tuple(std::move(elems));
  }
  return absl::InvalidArgumentError(pgha::StrCat("unknown type kind \"", kind, "\""));
}

absl::StatusOr<Type> Type::FromJsonText(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("type constraint is not valid JSON");
  return FromJson(json);
}

std::string Type::FriendlyName() const {
  switch (kind()) {
    case Kind::kString:
      return "string";
    case Kind::kNumber:
      return "number";
    case Kind::kBool:
      return "bool";
    case Kind::kDynamic:
      return "any value";
    case Kind::kList:
      return pgha::StrCat("list of ", element().FriendlyName());
    case Kind::kSet:
      return pgha::StrCat("set of ", element().FriendlyName());
    case Kind::kMap:
      return pgha::StrCat("map of ", element().FriendlyName());
    case Kind::kObject:
      return "object";
    case Kind::kTuple:
      return "tuple";
  }
  return "?";
}

}  // namespace pgha::value
