// Splits a fuzzer's bytes into the pieces a target needs: a few strings cut
// at separator bytes, so that libFuzzer's mutations reach every field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgha::fuzz {

inline std::vector<std::string> Split(const uint8_t* data, size_t size, size_t parts) {
  std::vector<std::string> out(parts);
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (size_t i = 0; i < parts; ++i) {
    const size_t cut = i + 1 == parts ? std::string_view::npos : rest.find('\x1f');
    out[i] = std::string(rest.substr(0, cut));
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  }
  return out;
}

}  // namespace pgha::fuzz
