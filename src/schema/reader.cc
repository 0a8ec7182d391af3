#include "schema/reader.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/strings.h"

namespace pgha::schema {
namespace {

using value::Type;
using value::Value;

const Value& NullValue() {
  static const Value kNull;
  return kNull;
}

bool IsStringCollection(const Type& type) {
  return (type.kind() == Type::Kind::kList || type.kind() == Type::Kind::kSet) &&
         type.element().kind() == Type::Kind::kString;
}

}  // namespace

Reader::Reader(const Block& block, const Value& value) : Reader(&block.attributes, &block.blocks, value, "") {}

Reader::Reader(const std::vector<Attribute>* attributes, const std::vector<NestedBlock>* blocks, const Value& value,
               std::string path)
    : attributes_(attributes), blocks_(blocks), value_(&value), path_(std::move(path)) {}

void Reader::Fail(std::string_view name, std::string_view problem) const {
  std::fprintf(stderr, "pgha: internal error: reading %s%s%.*s: %.*s\n", path_.c_str(), path_.empty() ? "" : ".",
               static_cast<int>(name.size()), name.data(), static_cast<int>(problem.size()), problem.data());
  std::abort();
}

const Attribute& Reader::FindAttribute(std::string_view name) const {
  for (const auto& a : *attributes_) {
    if (a.name == name) return a;
  }
  Fail(name, "no such attribute in the schema");
}

const Attribute& Reader::FindAttribute(std::string_view name, Type::Kind kind) const {
  const Attribute& a = FindAttribute(name);
  if (a.type.kind() != kind) Fail(name, pgha::StrCat("the schema's type is ", a.type.FriendlyName()));
  return a;
}

const Value& Reader::ValueOrDefault(const Attribute& attribute) const {
  if (value_->IsKnown()) {
    auto it = value_->Entries().find(attribute.name);
    if (it != value_->Entries().end() && it->second.IsKnown()) return it->second;
  }
  return attribute.default_value ? *attribute.default_value : NullValue();
}

std::string Reader::String(std::string_view name) const {
  const Value& v = ValueOrDefault(FindAttribute(name, Type::Kind::kString));
  return v.IsKnown() ? v.AsString() : "";
}

int64_t Reader::Int(std::string_view name) const {
  const Value& v = ValueOrDefault(FindAttribute(name, Type::Kind::kNumber));
  if (!v.IsKnown()) return 0;
  const value::Number& n = v.AsNumber();
  return n.FitsInt64() ? n.AsInt64() : static_cast<int64_t>(std::llround(n.AsDouble()));
}

bool Reader::Bool(std::string_view name) const {
  const Value& v = ValueOrDefault(FindAttribute(name, Type::Kind::kBool));
  return v.IsKnown() && v.AsBool();
}

std::string Reader::NumberText(std::string_view name) const {
  const Value& v = ValueOrDefault(FindAttribute(name, Type::Kind::kNumber));
  return v.IsKnown() ? v.AsNumber().ToString() : "";
}

std::vector<std::string> Reader::Strings(std::string_view name) const {
  const Attribute& found = FindAttribute(name);
  if (!IsStringCollection(found.type)) Fail(name, pgha::StrCat("the schema's type is ", found.type.FriendlyName()));
  const Value& v = ValueOrDefault(found);
  std::vector<std::string> out;
  if (!v.IsKnown()) return out;
  for (const auto& e : v.Elements()) {
    if (e.IsKnown()) out.push_back(e.AsString());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Reader::StringMap(std::string_view name) const {
  const Value& v = ValueOrDefault(FindAttribute(name, Type::Kind::kMap));
  std::vector<std::pair<std::string, std::string>> out;
  if (!v.IsKnown()) return out;
  for (const auto& [k, e] : v.Entries()) {
    if (e.IsKnown() && e.type().kind() == Type::Kind::kString) out.emplace_back(k, e.AsString());
  }
  return out;
}

bool Reader::Has(std::string_view name) const {
  for (const auto& a : *attributes_) {
    if (a.name == name) return true;
  }
  if (blocks_ != nullptr) {
    for (const auto& b : *blocks_) {
      if (b.name == name) return true;
    }
  }
  return false;
}

bool Reader::IsSet(std::string_view name) const { return Raw(name).IsKnown(); }

bool Reader::IsUnknown(std::string_view name) const { return Entry(name).IsUnknown(); }

const Value& Reader::Raw(std::string_view name) const {
  const Value& v = Entry(name);
  return v.IsKnown() ? v : NullValue();
}

const Value& Reader::Entry(std::string_view name) const {
  if (!Has(name)) Fail(name, "no such attribute or block in the schema");
  if (value_->IsUnknown()) return *value_;  // everything inside an unknown object is unknown
  if (!value_->IsKnown()) return NullValue();
  auto it = value_->Entries().find(std::string(name));
  return it != value_->Entries().end() ? it->second : NullValue();
}

Reader Reader::Object(std::string_view name) const {
  const std::string path = path_.empty() ? std::string(name) : pgha::StrCat(path_, ".", name);
  if (blocks_ != nullptr) {
    for (const auto& b : *blocks_) {
      if (b.name != name) continue;
      if (b.nesting != Nesting::kSingle && b.nesting != Nesting::kGroup) Fail(name, "a block of several elements");
      return Reader(&b.block->attributes, &b.block->blocks, Entry(name), path);
    }
  }
  for (const auto& a : *attributes_) {
    if (a.name != name) continue;
    if (!a.nested || a.nested->nesting != Nesting::kSingle) Fail(name, "not a single nested object");
    return Reader(&a.nested->attributes, nullptr, Entry(name), path);
  }
  Fail(name, "no such block in the schema");
}

std::vector<Reader> Reader::Objects(std::string_view name) const {
  const std::vector<Attribute>* attributes = nullptr;
  const std::vector<NestedBlock>* blocks = nullptr;
  if (blocks_ != nullptr) {
    for (const auto& b : *blocks_) {
      if (b.name != name) continue;
      if (b.nesting != Nesting::kList && b.nesting != Nesting::kSet) Fail(name, "not a list or set block");
      attributes = &b.block->attributes;
      blocks = &b.block->blocks;
    }
  }
  for (const auto& a : *attributes_) {
    if (a.name != name) continue;
    if (!a.nested || (a.nested->nesting != Nesting::kList && a.nested->nesting != Nesting::kSet)) {
      Fail(name, "not a list or set of nested objects");
    }
    attributes = &a.nested->attributes;
  }
  if (attributes == nullptr) Fail(name, "no such block in the schema");
  std::vector<Reader> out;
  const Value& v = Raw(name);
  if (!v.IsKnown()) return out;
  for (size_t i = 0; i < v.Elements().size(); ++i) {
    out.push_back(Reader(attributes, blocks, v.Elements()[i], pgha::StrCat(path_.empty() ? "" : path_ + ".", name, "[", i, "]")));
  }
  return out;
}

}  // namespace pgha::schema
