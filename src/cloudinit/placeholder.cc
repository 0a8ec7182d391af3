#include "cloudinit/placeholder.h"

namespace pgha::cloudinit {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// A placeholder starting exactly at `at` (which holds "{{"), if one does.
std::optional<Placeholder> PlaceholderAt(std::string_view text, size_t at) {
  size_t i = at + 2;
  while (i < text.size() && IsSpace(text[i])) ++i;
  const size_t name_begin = i;
  while (i < text.size() && IsNameChar(text[i])) ++i;
  if (i == name_begin) return std::nullopt;
  const size_t name_end = i;
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (text.substr(i, 2) != "}}") return std::nullopt;
  return Placeholder{at, i + 2, std::string(text.substr(name_begin, name_end - name_begin))};
}

}  // namespace

std::optional<Placeholder> FindPlaceholder(std::string_view text, size_t from) {
  for (size_t at = text.find("{{", from); at != std::string_view::npos; at = text.find("{{", at + 1)) {
    if (auto found = PlaceholderAt(text, at)) return found;
  }
  return std::nullopt;
}

std::optional<std::string> WholePlaceholder(std::string_view text) {
  if (text.substr(0, 2) != "{{") return std::nullopt;
  auto found = PlaceholderAt(text, 0);
  if (!found || found->end != text.size()) return std::nullopt;
  return found->name;
}

}  // namespace pgha::cloudinit
