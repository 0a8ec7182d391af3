// Private key generation for the algorithms pgha_certificate offers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pki/handles.h"

namespace pgha::pki {

enum class KeyAlgorithm { kRsa2048, kRsa3072, kRsa4096, kEcdsaP256, kEcdsaP384, kEd25519 };

// "RSA_2048", "ECDSA_P256", ... as users write them.
std::optional<KeyAlgorithm> ParseKeyAlgorithm(std::string_view name);
std::string_view KeyAlgorithmName(KeyAlgorithm algorithm);
const std::vector<std::string_view>& KeyAlgorithmNames();

absl::StatusOr<PkeyPtr> GenerateKey(KeyAlgorithm algorithm);

// The digest to sign with when `key` signs: nullptr for Ed25519, SHA-384 for
// P-384 and larger EC curves, SHA-256 otherwise.
const EVP_MD* SigningDigest(EVP_PKEY* key);

}  // namespace pgha::pki
