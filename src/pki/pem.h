// PEM in and out: certificates and private keys in every encoding the tls
// provider and OpenSSL produce (PKCS#1, PKCS#8, SEC1).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pki/handles.h"

namespace pgha::pki {

// One or more concatenated PEM certificates. Error messages never quote the input.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(std::string_view pem);
absl::StatusOr<PkeyPtr> ParsePrivateKey(std::string_view pem);

std::string CertificateToPem(X509* cert);
std::string CertificateToDer(X509* cert);
// PKCS#8, unencrypted.
std::string PrivateKeyToPem(EVP_PKEY* key);
std::string PublicKeyToPem(EVP_PKEY* key);

}  // namespace pgha::pki
