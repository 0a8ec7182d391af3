// Test helper: standard base64 decoding through OpenSSL, for tests that read
// back what pgha encoded (write_files with `encoding: b64` in user-data).
#pragma once

#include <openssl/evp.h>

#include <optional>
#include <string>

namespace pgha::testing {

// The decoded bytes, or nothing when `text` is not base64.
inline std::optional<std::string> DecodeBase64(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace pgha::testing
