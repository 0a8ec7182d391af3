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
// Exactly one unencrypted private key block, with nothing but whitespace
// around it: extra blocks or text are refused, since whatever pgha passes on
// must be exactly the key and nothing a user did not mean to ship.
absl::StatusOr<PkeyPtr> ParsePrivateKey(std::string_view pem);
// The key re-encoded by OpenSSL (PKCS#8 PEM): what pgha writes to guests, never the input text.
absl::StatusOr<std::string> CanonicalPrivateKeyPem(std::string_view pem);

std::string CertificateToPem(X509* cert);
std::string CertificateToDer(X509* cert);
// PKCS#8, unencrypted.
std::string PrivateKeyToPem(EVP_PKEY* key);
std::string PublicKeyToPem(EVP_PKEY* key);

}  // namespace pgha::pki
