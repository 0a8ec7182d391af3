// go-plugin's launch contract: the magic cookie, protocol negotiation and
// the one handshake line the host reads from our stdout.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgha::plugin {

inline constexpr std::string_view kMagicCookieKey = "TF_PLUGIN_MAGIC_COOKIE";
inline constexpr std::string_view kMagicCookieValue =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
inline constexpr int kProtocolVersion = 6;

bool HasMagicCookie(const char* value);

// Picks 6 from PLUGIN_PROTOCOL_VERSIONS ("5,6" in any order). An unset
// variable means the host did not negotiate: serve 6. nullopt: the host
// cannot speak 6.
std::optional<int> NegotiateProtocol(const char* plugin_protocol_versions);

// CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT, CERT being the server certificate's
// DER in unpadded standard base64, or empty without AutoMTLS.
std::string HandshakeLine(int protocol, std::string_view network, std::string_view address,
                          std::string_view server_cert_der);

// Base64 (standard alphabet) without '=' padding, as Go's RawStdEncoding reads it.
std::string Base64NoPad(std::string_view data);

// The TF_REATTACH_PROVIDERS value that points Terraform at a debug server.
std::string ReattachJson(std::string_view provider_address, int pid, std::string_view socket_path);

}  // namespace pgha::plugin
