// YAML templates as data: a template is a YAML document in which a scalar
// that is exactly "{{ name }}" stands for a value. Rendering parses the
// template, replaces those nodes with typed values (string, number, bool,
// list of strings, map of strings) and emits the result through yaml-cpp, so
// a value can never change the document's structure, whatever characters it
// holds. kOmit removes the mapping entry (or sequence item) holding it, and a
// mapping whose entries are all omitted goes with them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace pgha::cloudinit {

struct Omit {};
inline constexpr Omit kOmit{};
using StringMap = std::vector<std::pair<std::string, std::string>>;  // emitted in this order
using TemplateValue = std::variant<std::string, int64_t, bool, std::vector<std::string>, StringMap, Omit>;
using TemplateValues = std::map<std::string, TemplateValue, std::less<>>;

// Every placeholder needs a value and every value a placeholder: a typo on
// either side is an error, not a silently empty setting.
absl::StatusOr<std::string> RenderYamlTemplate(std::string_view template_text, const TemplateValues& values);

// The files under templates/, embedded at build time, by relative path
// (e.g. "etcd/etcd.yml").
absl::StatusOr<std::string_view> EmbeddedTemplate(std::string_view path);

}  // namespace pgha::cloudinit
