#include "cloudinit/yaml_template.h"

#include <optional>
#include <set>

#include <yaml-cpp/yaml.h>

#include "base/strings.h"
#include "cloudinit/placeholder.h"

namespace pgha::cloudinit {
namespace {

// Strings from values are emitted double-quoted, so "150" or "on" stays a
// string for every YAML reader (YAML 1.1 would read them as a number, a bool).
constexpr const char* kQuotedTag = "!pgha-quoted";

YAML::Node QuotedString(const std::string& s) {
  YAML::Node n(s);
  n.SetTag(kQuotedTag);
  return n;
}

YAML::Node ToNode(const TemplateValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return QuotedString(*s);
  if (const auto* i = std::get_if<int64_t>(&v)) return YAML::Node(*i);
  if (const auto* b = std::get_if<bool>(&v)) return YAML::Node(*b);
  if (const auto* m = std::get_if<StringMap>(&v)) {
    YAML::Node map(YAML::NodeType::Map);
    for (const auto& [key, item] : *m) map[QuotedString(key)] = QuotedString(item);
    return map;
  }
  YAML::Node seq(YAML::NodeType::Sequence);
  for (const auto& item : std::get<std::vector<std::string>>(v)) seq.push_back(QuotedString(item));
  return seq;
}

// Emits the document keeping the template's quoting: yaml-cpp tags a quoted
// scalar "!", a plain one "?"; values carry kQuotedTag.
void Emit(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (auto it = node.begin(); it != node.end(); ++it) {
        out << YAML::Key;
        Emit(out, it->first);
        out << YAML::Value;
        Emit(out, it->second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& item : node) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      if (node.Tag() == kQuotedTag || node.Tag() == "!") {
        out << YAML::DoubleQuoted << node.Scalar();
      } else {
        out << node.Scalar();
      }
      break;
    default:
      out << YAML::Null;
  }
}

// The value for a scalar that is a whole placeholder; nullopt for any other
// node. An omitted value comes back as a node tagged "!pgha-omit".
absl::StatusOr<std::optional<YAML::Node>> Replacement(const YAML::Node& node, const TemplateValues& values,
                                                      std::set<std::string>& used) {
  if (!node.IsScalar()) return std::optional<YAML::Node>();
  const std::optional<std::string> name = WholePlaceholder(node.Scalar());
  if (!name) return std::optional<YAML::Node>();
  auto value = values.find(*name);
  if (value == values.end()) return absl::InvalidArgumentError(pgha::StrCat("no value for {{", *name, "}}"));
  used.insert(*name);
  if (std::holds_alternative<Omit>(value->second)) {
    YAML::Node omitted;
    omitted.SetTag("!pgha-omit");
    return std::optional<YAML::Node>(omitted);
  }
  return std::optional<YAML::Node>(ToNode(value->second));
}

absl::Status Substitute(YAML::Node node, const TemplateValues& values, std::set<std::string>& used) {
  auto visit = [&](YAML::Node child, auto&& assign) -> absl::Status {
    auto replacement = Replacement(child, values, used);
    if (!replacement.ok()) return replacement.status();
    if (*replacement) {
      assign(**replacement);
      return absl::OkStatus();
    }
    return Substitute(child, values, used);
  };
  auto omitted = [](const YAML::Node& v) { return v.Tag() == "!pgha-omit"; };
  if (node.IsMap()) {
    std::vector<std::string> drop;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const bool had_entries = it->second.IsMap() && it->second.size() > 0;
      auto s = visit(it->second, [&](const YAML::Node& v) {
        if (omitted(v)) {
          drop.push_back(it->first.Scalar());
        } else {
          node[it->first] = v;
        }
      });
      if (!s.ok()) return s;
      // A mapping whose every entry was omitted goes too: an optional section of several settings.
      if (had_entries && it->second.IsMap() && it->second.size() == 0) drop.push_back(it->first.Scalar());
    }
    for (const auto& key : drop) node.remove(key);
  } else if (node.IsSequence()) {
    YAML::Node kept(YAML::NodeType::Sequence);
    bool any_dropped = false;
    for (size_t i = 0; i < node.size(); ++i) {
      bool drop = false;
      auto s = visit(node[i], [&](const YAML::Node& v) {
        if (omitted(v)) {
          drop = true;
        } else {
          node[i] = v;
        }
      });
      if (!s.ok()) return s;
      any_dropped |= drop;
      if (!drop) kept.push_back(node[i]);
    }
    // Assigning a node rebinds what the parent points at (yaml-cpp's reference semantics).
    if (any_dropped) node = kept;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> RenderYamlTemplate(std::string_view template_text, const TemplateValues& values) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(template_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(pgha::StrCat("template is not YAML: ", e.what()));
  }
  std::set<std::string> used;
  if (auto s = Substitute(doc, values, used); !s.ok()) return s;
  for (const auto& [name, v] : values) {
    if (!used.contains(name)) return absl::InvalidArgumentError(pgha::StrCat("value ", name, " has no placeholder"));
  }
  YAML::Emitter out;
  Emit(out, doc);
  return std::string(out.c_str()) + "\n";
}

}  // namespace pgha::cloudinit
