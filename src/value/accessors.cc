#include "value/accessors.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace pgha::value {
namespace {
const Value* Known(const Value& obj, const std::string& name) {
  if (!obj.IsKnown()) return nullptr;
  auto it = obj.Entries().find(name);
  if (it == obj.Entries().end()) {
    // Terraform sends every attribute of an object, null when unset: a missing
    // name is a misspelling in our code, and no test may pass with one.
    if (obj.type().kind() == Type::Kind::kObject) {
      std::fprintf(stderr, "pgha: internal error: reading \"%s\", which the object does not have\n", name.c_str());
      std::abort();
    }
    return nullptr;
  }
  if (!it->second.IsKnown()) return nullptr;
  return &it->second;
}
}  // namespace

std::string GetString(const Value& obj, const std::string& name, std::string fallback) {
  const Value* v = Known(obj, name);
  return v && v->type().kind() == Type::Kind::kString ? v->AsString() : fallback;
}

int64_t GetInt(const Value& obj, const std::string& name, int64_t fallback) {
  const Value* v = Known(obj, name);
  if (!v || v->type().kind() != Type::Kind::kNumber) return fallback;
  const Number& n = v->AsNumber();
  return n.FitsInt64() ? n.AsInt64() : static_cast<int64_t>(std::llround(n.AsDouble()));
}

bool GetBool(const Value& obj, const std::string& name, bool fallback) {
  const Value* v = Known(obj, name);
  return v && v->type().kind() == Type::Kind::kBool ? v->AsBool() : fallback;
}

std::vector<std::string> GetStrings(const Value& obj, const std::string& name) {
  std::vector<std::string> out;
  const Value* v = Known(obj, name);
  if (!v || !(v->type().kind() == Type::Kind::kList || v->type().kind() == Type::Kind::kSet)) return out;
  for (const auto& e : v->Elements()) {
    if (e.IsKnown() && e.type().kind() == Type::Kind::kString) out.push_back(e.AsString());
  }
  return out;
}

bool IsSet(const Value& obj, const std::string& name) { return Known(obj, name) != nullptr; }

const Value& Attr(const Value& obj, const std::string& name) {
  static const Value kNull;
  const Value* v = Known(obj, name);
  return v ? *v : kNull;
}

const std::vector<Value>& Elements(const Value& obj, const std::string& name) {
  static const std::vector<Value> kEmpty;
  const Value* v = Known(obj, name);
  if (!v) return kEmpty;
  const auto kind = v->type().kind();
  return kind == Type::Kind::kList || kind == Type::Kind::kSet || kind == Type::Kind::kTuple ? v->Elements() : kEmpty;
}

std::string GetNumberText(const Value& obj, const std::string& name, std::string fallback) {
  const Value* v = Known(obj, name);
  return v && v->type().kind() == Type::Kind::kNumber ? v->AsNumber().ToString() : fallback;
}

}  // namespace pgha::value
