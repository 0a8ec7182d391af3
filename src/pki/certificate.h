// Issuing X.509 certificates: self-signed or signed by a CA, with the SANs
// and key usages asked for, and the checks that go with them.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pki/handles.h"

namespace pgha::pki {

// The usage names users write, as the hashicorp/tls provider spells them.
const std::vector<std::string_view>& AllowedUseNames();

struct CertificateRequest {
  std::string common_name;
  std::string organization;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> allowed_uses;
  bool is_ca = false;
  std::time_t not_before = 0;
  int64_t validity_hours = 0;
};

struct IssuedCertificate {
  X509Ptr cert;
  std::string serial_decimal;
  std::time_t not_before = 0;
  std::time_t not_after = 0;
};

// Signs `subject_key`'s certificate with `issuer_key`; the issuer certificate
// names the issuer (null: self-signed).
absl::StatusOr<IssuedCertificate> IssueCertificate(const CertificateRequest& request, EVP_PKEY* subject_key,
                                                   X509* issuer_cert, EVP_PKEY* issuer_key);

// True when the certificate may sign others (CA:TRUE and, if key usage is
// present, keyCertSign).
bool IsCa(X509* cert);
bool KeyMatchesCertificate(X509* cert, EVP_PKEY* key);
// Verifies `leaf` against `trusted` (a CA) at the current time.
absl::Status VerifyCertificate(X509* leaf, X509* trusted);

// RFC 3339 in UTC, seconds precision: 2026-11-22T01:02:03Z.
std::string Rfc3339(std::time_t t);
absl::StatusOr<std::time_t> ParseRfc3339(std::string_view text);

}  // namespace pgha::pki
