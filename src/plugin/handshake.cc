#include "plugin/handshake.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/strings.h"
#include "nlohmann/json.hpp"

namespace pgha::plugin {

bool HasMagicCookie(const char* value) { return value != nullptr && kMagicCookieValue == value; }

std::optional<int> NegotiateProtocol(const char* plugin_protocol_versions) {
  if (plugin_protocol_versions == nullptr || *plugin_protocol_versions == '\0') return kProtocolVersion;
  for (absl::string_view part : absl::StrSplit(plugin_protocol_versions, ',')) {
    int v = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &v) && v == kProtocolVersion) return kProtocolVersion;
  }
  return std::nullopt;
}

std::string Base64NoPad(std::string_view data) {
  std::string text = absl::Base64Escape(absl::string_view(data.data(), data.size()));
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

std::string HandshakeLine(int protocol, std::string_view network, std::string_view address,
                          std::string_view server_cert_der) {
  return pgha::StrCat("1|", protocol, "|", network, "|", address, "|grpc|",
                      server_cert_der.empty() ? "" : Base64NoPad(server_cert_der), "\n");
}

std::string ReattachJson(std::string_view provider_address, int pid, std::string_view socket_path) {
  nlohmann::json entry = {
      {"Protocol", "grpc"},
      {"ProtocolVersion", kProtocolVersion},
      {"Pid", pid},
      // Without Test the host falls back to protocol 5; it also stops the host from killing us.
      {"Test", true},
      {"Addr", {{"Network", "unix"}, {"String", std::string(socket_path)}}},
  };
  return nlohmann::json{{std::string(provider_address), entry}}.dump();
}

}  // namespace pgha::plugin
