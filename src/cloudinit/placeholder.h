// The {{ name }} placeholders of templates/: `{{`, optional whitespace, a name
// of [a-z0-9_], optional whitespace, `}}`. Scanned by hand rather than with
// std::regex: no regex compile on a request path, and no first-use race on
// libstdc++'s shared ctype cache when two requests render at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pgha::cloudinit {

struct Placeholder {
  size_t begin = 0;  // offset of the opening {{
  size_t end = 0;    // one past the closing }}
  std::string name;
};

// The leftmost placeholder at or after `from`, if any.
std::optional<Placeholder> FindPlaceholder(std::string_view text, size_t from = 0);

// The name when `text` is exactly one placeholder and nothing else.
std::optional<std::string> WholePlaceholder(std::string_view text);

}  // namespace pgha::cloudinit
