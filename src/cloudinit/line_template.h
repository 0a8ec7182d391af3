// Line-oriented configuration templates (haproxy.cfg, chrony.conf,
// fluent-bit.conf): formats where one setting is one line. A placeholder
// "{{ name }}" inside a line takes a single-line value; a line whose only
// placeholder names a list is repeated once per element (and dropped for an
// empty list). Values can never add lines: newlines and other control
// characters are refused, so a value cannot smuggle in a directive.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace pgha::cloudinit {

using LineValue = std::variant<std::string, std::vector<std::string>>;
using LineValues = std::map<std::string, LineValue, std::less<>>;

// Every placeholder needs a value and every value a placeholder.
absl::StatusOr<std::string> RenderLineTemplate(std::string_view template_text, const LineValues& values);

// The same, for a file under templates/ (e.g. "chrony/chrony.conf").
absl::StatusOr<std::string> RenderEmbeddedLineTemplate(std::string_view path, const LineValues& values);

}  // namespace pgha::cloudinit
