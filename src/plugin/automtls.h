// go-plugin AutoMTLS: the host passes its certificate in PLUGIN_CLIENT_CERT;
// we answer with a fresh per-process server certificate and accept only
// clients presenting exactly the host's certificate.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace pgha::plugin {

struct ServerIdentity {
  std::string cert_pem;
  std::string cert_der;  // for the handshake line
  std::string key_pem;   // PKCS#8; lives only in this process's memory
};

// An ephemeral P-256 self-signed certificate for "localhost". P-256 because
// Debian's gRPC 1.51 only negotiates that curve.
absl::StatusOr<ServerIdentity> GenerateServerIdentity();

}  // namespace pgha::plugin
