#include "pki/key.h"

#include <openssl/ec.h>
#include <openssl/err.h>

#include "absl/status/status.h"

namespace pgha::pki {
namespace {

struct AlgorithmInfo {
  KeyAlgorithm algorithm;
  std::string_view name;
};

constexpr AlgorithmInfo kAlgorithms[] = {
    {KeyAlgorithm::kRsa2048, "RSA_2048"},     {KeyAlgorithm::kRsa3072, "RSA_3072"},
    {KeyAlgorithm::kRsa4096, "RSA_4096"},     {KeyAlgorithm::kEcdsaP256, "ECDSA_P256"},
    {KeyAlgorithm::kEcdsaP384, "ECDSA_P384"}, {KeyAlgorithm::kEd25519, "ED25519"},
};

}  // namespace

std::optional<KeyAlgorithm> ParseKeyAlgorithm(std::string_view name) {
  for (const auto& a : kAlgorithms) {
    if (a.name == name) return a.algorithm;
  }
  return std::nullopt;
}

std::string_view KeyAlgorithmName(KeyAlgorithm algorithm) {
  for (const auto& a : kAlgorithms) {
    if (a.algorithm == algorithm) return a.name;
  }
  return "";
}

const std::vector<std::string_view>& KeyAlgorithmNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string_view>();
    for (const auto& a : kAlgorithms) v->push_back(a.name);
    return v;
  }();
  return *names;
}

absl::StatusOr<PkeyPtr> GenerateKey(KeyAlgorithm algorithm) {
  EVP_PKEY* key = nullptr;
  switch (algorithm) {
    case KeyAlgorithm::kRsa2048:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
    case KeyAlgorithm::kRsa3072:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
      break;
    case KeyAlgorithm::kRsa4096:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096));
      break;
    case KeyAlgorithm::kEcdsaP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyAlgorithm::kEcdsaP384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyAlgorithm::kEd25519:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL could not generate the key");
  }
  return PkeyPtr(key);
}

const EVP_MD* SigningDigest(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      return nullptr;
    case EVP_PKEY_EC:
      return EVP_PKEY_get_bits(key) > 256 ? EVP_sha384() : EVP_sha256();
    default:
      return EVP_sha256();
  }
}

}  // namespace pgha::pki
