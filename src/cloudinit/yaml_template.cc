#include "cloudinit/yaml_template.h"

#include <optional>
#include <regex>
#include <set>

#include <yaml-cpp/yaml.h>

#include "base/strings.h"

namespace pgha::cloudinit {
namespace {

const std::regex& PlaceholderPattern() {
  static const std::regex pattern(R"(^\{\{\s*([a-z0-9_]+)\s*\}\}$)");
  return pattern;
}

YAML::Node ToNode(const TemplateValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return YAML::Node(*s);
  if (const auto* i = std::get_if<int64_t>(&v)) return YAML::Node(*i);
  if (const auto* b = std::get_if<bool>(&v)) return YAML::Node(*b);
  YAML::Node seq(YAML::NodeType::Sequence);
  for (const auto& item : std::get<std::vector<std::string>>(v)) seq.push_back(item);
  return seq;
}

// The value for a scalar that is a whole placeholder; nullopt for any other node.
absl::StatusOr<std::optional<YAML::Node>> Replacement(const YAML::Node& node, const TemplateValues& values,
                                                      std::set<std::string>& used) {
  if (!node.IsScalar()) return std::optional<YAML::Node>();
  std::smatch m;
  const std::string text = node.Scalar();
  if (!std::regex_match(text, m, PlaceholderPattern())) return std::optional<YAML::Node>();
  auto value = values.find(m[1].str());
  if (value == values.end()) return absl::InvalidArgumentError(pgha::StrCat("no value for {{", m[1].str(), "}}"));
  used.insert(m[1].str());
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
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto s = visit(it->second, [&](const YAML::Node& v) { node[it->first] = v; });
      if (!s.ok()) return s;
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      auto s = visit(node[i], [&](const YAML::Node& v) { node[i] = v; });
      if (!s.ok()) return s;
    }
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
  out << doc;
  return std::string(out.c_str()) + "\n";
}

}  // namespace pgha::cloudinit
