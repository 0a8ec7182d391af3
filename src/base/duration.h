// Durations as Terraform users write them in `timeouts` blocks: Go's
// time.ParseDuration syntax ("30s", "1h30m", "1.5h", "250ms").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pgha {

// nullopt for text that is not a duration. A sign is not accepted: a timeout is never negative.
inline std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return std::chrono::milliseconds(0);
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    double whole = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') whole = whole * 10 + (text[i++] - '0');
    double fraction = 0, scale = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        scale /= 10;
        fraction += (text[i++] - '0') * scale;
      }
    }
    if (i == start || (i == start + 1 && text[start] == '.')) return std::nullopt;  // no digits
    const size_t unit_start = i;
    while (i < text.size() && !(text[i] >= '0' && text[i] <= '9') && text[i] != '.') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    double ms;
    if (unit == "h") {
      ms = 3600e3;
    } else if (unit == "m") {
      ms = 60e3;
    } else if (unit == "s") {
      ms = 1e3;
    } else if (unit == "ms") {
      ms = 1;
    } else if (unit == "us" || unit == "\u00b5s") {
      ms = 1e-3;
    } else if (unit == "ns") {
      ms = 1e-6;
    } else {
      return std::nullopt;  // a missing or unknown unit
    }
    total_ms += (whole + fraction) * ms;
    if (total_ms > 1e12) return std::nullopt;  // beyond any sensible timeout (about 31 years)
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

}  // namespace pgha
