#include "schema/validate.h"

#include <arpa/inet.h>

#include <map>

#include "base/duration.h"
#include "base/strings.h"
#include "absl/strings/str_split.h"
#include "pki/pem.h"

namespace pgha::schema {
namespace {

using value::Path;
using value::Value;

bool IsIpAddress(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// "10.0.0.21", or "10.0.0.0/24" with a prefix length the address family allows.
bool IsIpOrNetwork(const std::string& s) {
  const auto slash = s.find('/');
  const std::string address = s.substr(0, slash);
  if (!IsIpAddress(address)) return false;
  if (slash == std::string::npos) return true;
  const std::string bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(bits) <= (address.find(':') == std::string::npos ? 32 : 128);
}

bool IsDnsName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  std::vector<std::string> labels = absl::StrSplit(s, '.');
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& l = labels[i];
    if (i == 0 && l == "*" && labels.size() > 1) continue;  // wildcard
    if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
    for (char c : l) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    }
  }
  return true;
}

void ValidateAttribute(const Attribute& attr, const Value& v, const Path& path, value::Diagnostics& diags);

void ValidateNestedObject(const std::vector<Attribute>& attrs, const Value& obj, const Path& path,
                          value::Diagnostics& diags) {
  if (!obj.IsKnown()) return;
  for (const auto& a : attrs) ValidateAttribute(a, obj.GetAttr(a.name), path.Attr(a.name), diags);
}

// unique_by: the second element with a value already seen is reported, at that value.
void ValidateUnique(const Attribute& attr, const Value& list, const Path& path, value::Diagnostics& diags) {
  for (const auto& validator : attr.validators) {
    if (validator.kind != Validator::Kind::kUniqueBy) continue;
    const std::string& field = validator.choices[0];
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < list.Elements().size(); ++i) {
      const Value& element = list.Elements()[i];
      if (!element.IsKnown()) continue;
      const Value& key = element.GetAttr(field);
      if (!key.IsKnown() || !key.IsWhollyKnown()) continue;
      const std::string text = key.type().kind() == value::Type::Kind::kString ? key.AsString() : key.DebugString();
      auto [it, inserted] = seen.emplace(text, i);
      if (!inserted) {
        diags.AddError(pgha::StrCat("Duplicate ", field, " in ", path.ToString()),
                       pgha::StrCat("\"", text, "\" appears in elements ", it->second, " and ", i, "; each ", field,
                                    " must be unique."),
                       path.Index(static_cast<int64_t>(i)).Attr(field));
      }
    }
  }
}

void ValidatePrimitive(const Attribute& attr, const Value& v, const Path& path, value::Diagnostics& diags) {
  if (!v.IsKnown()) return;
  for (const auto& validator : attr.validators) {
    if (validator.kind == Validator::Kind::kUniqueBy) continue;  // on the whole list: ValidateUnique
    std::string problem = CheckValidator(validator, v);
    if (!problem.empty()) {
      diags.AddError(pgha::StrCat("Invalid value for ", path.ToString()),
                     pgha::StrCat("The value must be ", validator.Describe(), ": ", problem, "."), path);
    }
  }
}

void ValidateAttribute(const Attribute& attr, const Value& v, const Path& path, value::Diagnostics& diags) {
  if (!v.IsKnown()) return;
  if (attr.nested) {
    switch (attr.nested->nesting) {
      case Nesting::kSingle:
      case Nesting::kGroup:
        ValidateNestedObject(attr.nested->attributes, v, path, diags);
        return;
      case Nesting::kList:
        for (size_t i = 0; i < v.Elements().size(); ++i) {
          ValidateNestedObject(attr.nested->attributes, v.Elements()[i], path.Index(static_cast<int64_t>(i)), diags);
        }
        ValidateUnique(attr, v, path, diags);
        return;
      case Nesting::kSet:
        for (const auto& e : v.Elements()) ValidateNestedObject(attr.nested->attributes, e, path, diags);
        ValidateUnique(attr, v, path, diags);
        return;
      case Nesting::kMap:
        for (const auto& [k, e] : v.Entries()) ValidateNestedObject(attr.nested->attributes, e, path.Key(k), diags);
        return;
    }
  }
  // No pgha collection means anything by a null element: say which one, rather
  // than fail later while rendering it.
  auto null_element = [&](const Path& at) {
    diags.AddError(pgha::StrCat("Null element in ", path.ToString()),
                   "Every element must have a value; remove the element or give it one.", at);
  };
  if (!v.IsNull() && v.type().IsCollection()) {
    if (v.type().kind() == value::Type::Kind::kMap) {
      for (const auto& [k, e] : v.Entries()) {
        if (e.IsNull()) null_element(path.Key(k));
      }
    } else {
      for (size_t i = 0; i < v.Elements().size(); ++i) {
        if (v.Elements()[i].IsNull()) null_element(path.Index(static_cast<int64_t>(i)));
      }
    }
  }
  if (attr.validators.empty()) return;
  switch (v.type().kind()) {
    case value::Type::Kind::kList:
      for (size_t i = 0; i < v.Elements().size(); ++i) {
        ValidatePrimitive(attr, v.Elements()[i], path.Index(static_cast<int64_t>(i)), diags);
      }
      return;
    case value::Type::Kind::kSet:
      for (const auto& e : v.Elements()) ValidatePrimitive(attr, e, path, diags);
      return;
    case value::Type::Kind::kMap:
      for (const auto& [k, e] : v.Entries()) ValidatePrimitive(attr, e, path.Key(k), diags);
      return;
    default:
      ValidatePrimitive(attr, v, path, diags);
  }
}

// Rules over several attributes; an unknown one may still settle it either way, so it waits.
void ValidateRules(const Block& block, const Value& obj, const Path& path, value::Diagnostics& diags) {
  for (const auto& rule : block.rules) {
    std::vector<std::string> set, missing;  // in the rule's order
    bool unknown = false;
    for (const auto& n : rule.names) {
      const Value& v = obj.GetAttr(n);
      if (v.IsUnknown()) unknown = true;
      (v.IsNull() ? missing : set).push_back(n);
    }
    if (unknown) continue;
    const size_t count = set.size();
    if (rule.kind == BlockRule::Kind::kRequires) {
      if (set.empty() || set.front() != rule.names.front()) continue;  // names[0] unset: nothing required
      for (const auto& n : missing) {
        diags.AddError(pgha::StrCat("Missing ", n), pgha::StrCat("Give ", rule.Describe(), "; `", n, "` is not set."),
                       path.Attr(n));
      }
      continue;
    }
    const bool ok = rule.kind == BlockRule::Kind::kExactlyOneOf  ? count == 1
                    : rule.kind == BlockRule::Kind::kAtMostOneOf ? count <= 1
                                                                 : (count == 0 || count == rule.names.size());
    if (ok) continue;
    // Point at what to change: for "together", the first one missing; otherwise the second one
    // given, or (none given) the first one.
    const std::string& at = rule.kind == BlockRule::Kind::kTogether ? missing.front()
                            : count > 1                               ? set[1]
                                                                      : rule.names.front();
    std::string where = path.ToString();
    diags.AddError(pgha::StrCat("Invalid combination", where.empty() ? "" : pgha::StrCat(" in ", where)),
                   pgha::StrCat("Give ", rule.Describe(), count == 0   ? "; none is set."
                                   : count == 1 ? pgha::StrCat("; only `", set[0], "` is set.")
                                                : pgha::StrCat("; ", count, " are set.")),
                   path.Attr(at));
  }
}

void ValidateBlock(const Block& block, const Value& obj, const Path& path, value::Diagnostics& diags) {
  if (!obj.IsKnown()) return;
  for (const auto& a : block.attributes) ValidateAttribute(a, obj.GetAttr(a.name), path.Attr(a.name), diags);
  ValidateRules(block, obj, path, diags);
  for (const auto& b : block.blocks) {
    const Value& v = obj.GetAttr(b.name);
    if (!v.IsKnown()) continue;
    const Path here = path.Attr(b.name);
    switch (b.nesting) {
      case Nesting::kSingle:
      case Nesting::kGroup:
        ValidateBlock(*b.block, v, here, diags);
        break;
      case Nesting::kList:
        for (size_t i = 0; i < v.Elements().size(); ++i) {
          ValidateBlock(*b.block, v.Elements()[i], here.Index(static_cast<int64_t>(i)), diags);
        }
        break;
      case Nesting::kSet:
        for (const auto& e : v.Elements()) ValidateBlock(*b.block, e, here, diags);
        break;
      case Nesting::kMap:
        for (const auto& [k, e] : v.Entries()) ValidateBlock(*b.block, e, here.Key(k), diags);
        break;
    }
  }
}

}  // namespace

std::string CheckValidator(const Validator& validator, const Value& v) {
  switch (validator.kind) {
    case Validator::Kind::kOneOf: {
      if (v.type().kind() != value::Type::Kind::kString) return "";
      for (const auto& c : validator.choices) {
        if (c == v.AsString()) return "";
      }
      return pgha::StrCat("\"", v.AsString(), "\" is not allowed");
    }
    case Validator::Kind::kAtLeast:
      if (v.type().kind() == value::Type::Kind::kNumber && v.AsNumber().AsDouble() < validator.bound) {
        return pgha::StrCat(v.AsNumber().ToString(), " is too small");
      }
      return "";
    case Validator::Kind::kAtMost:
      if (v.type().kind() == value::Type::Kind::kNumber && v.AsNumber().AsDouble() > validator.bound) {
        return pgha::StrCat(v.AsNumber().ToString(), " is too large");
      }
      return "";
    case Validator::Kind::kIpAddress:
      return IsIpAddress(v.AsString()) ? "" : pgha::StrCat("\"", v.AsString(), "\" is not an IP address");
    case Validator::Kind::kIpOrNetwork:
      return IsIpOrNetwork(v.AsString()) ? ""
                                         : pgha::StrCat("\"", v.AsString(), "\" is neither an IP address nor a network");
    case Validator::Kind::kDnsName:
      return IsDnsName(v.AsString()) ? "" : pgha::StrCat("\"", v.AsString(), "\" is not a valid DNS name");
    case Validator::Kind::kPemCertificate: {
      auto certs = pki::ParseCertificates(v.AsString());
      return certs.ok() ? "" : std::string(certs.status().message());
    }
    case Validator::Kind::kPemPrivateKey: {
      // The value is secret: the message names the problem, never the content.
      auto key = pki::ParsePrivateKey(v.AsString());
      return key.ok() ? "" : std::string(key.status().message());
    }
    case Validator::Kind::kNotEmpty:
      return v.AsString().empty() ? "it is empty" : "";
    case Validator::Kind::kUniqueBy:
      return "";  // a rule over the whole list: ValidateUnique
    case Validator::Kind::kDuration: {
      const auto d = ParseDuration(v.AsString());
      if (!d) return pgha::StrCat("\"", v.AsString(), "\" is not a duration");
      return *d < std::chrono::seconds(1) ? pgha::StrCat("\"", v.AsString(), "\" is shorter than 1 s") : "";
    }
  }
  return "";
}

void ValidateConfig(const Block& block, const Value& config, value::Diagnostics& diags) {
  ValidateBlock(block, config, Path::Root(), diags);
}

}  // namespace pgha::schema
