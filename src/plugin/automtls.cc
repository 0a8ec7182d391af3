#include "plugin/automtls.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <ctime>
#include <memory>

#include "base/strings.h"
#include "pki/der.h"
#include "pki/handles.h"
#include "pki/key.h"
#include "pki/openssl_error.h"

namespace pgha::plugin {
namespace {

namespace der = pki::der;

// Encoded OBJECT IDENTIFIER contents.
constexpr std::string_view kEcPublicKey = "\x2a\x86\x48\xce\x3d\x02\x01";      // 1.2.840.10045.2.1
constexpr std::string_view kPrime256v1 = "\x2a\x86\x48\xce\x3d\x03\x01\x07";   // 1.2.840.10045.3.1.7
constexpr std::string_view kEcdsaSha256 = "\x2a\x86\x48\xce\x3d\x04\x03\x02";  // 1.2.840.10045.4.3.2
constexpr std::string_view kCommonName = "\x55\x04\x03";                       // 2.5.4.3
constexpr std::string_view kOrganization = "\x55\x04\x0a";                     // 2.5.4.10
constexpr std::string_view kKeyUsage = "\x55\x1d\x0f";                         // 2.5.29.15
constexpr std::string_view kSubjectAltName = "\x55\x1d\x11";                   // 2.5.29.17
constexpr std::string_view kBasicConstraints = "\x55\x1d\x13";                 // 2.5.29.19
constexpr std::string_view kExtKeyUsage = "\x55\x1d\x25";                      // 2.5.29.37
constexpr std::string_view kServerAuth = "\x2b\x06\x01\x05\x05\x07\x03\x01";   // 1.3.6.1.5.5.7.3.1
constexpr std::string_view kClientAuth = "\x2b\x06\x01\x05\x05\x07\x03\x02";   // 1.3.6.1.5.5.7.3.2

std::string Extension(std::string_view oid, bool critical, std::string_view value) {
  return der::Sequence(der::Oid(oid) + (critical ? der::Boolean(true) : "") + der::OctetString(value));
}

std::string Name() {
  auto rdn = [](std::string_view oid, std::string_view value) {
    return der::Set(der::Sequence(der::Oid(oid) + der::Utf8String(value)));
  };
  return der::Sequence(rdn(kOrganization, "pgha") + rdn(kCommonName, "localhost"));
}

absl::Status OpenSslError(std::string_view what) {
  return pki::OpenSslError(pgha::StrCat("AutoMTLS identity: ", what));
}

}  // namespace

absl::StatusOr<ServerIdentity> GenerateServerIdentity() {
  auto key = pki::GenerateKey(pki::KeyAlgorithm::kEcdsaP256);
  if (!key.ok()) return key.status();
  EVP_PKEY* pkey = key->get();

  // The uncompressed point (0x04 || X || Y) and the private scalar, read as
  // parameters: no encoder is set up for either.
  unsigned char point[65];
  size_t point_len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &point_len) != 1 ||
      point_len != sizeof point) {
    return OpenSslError("reading the public key");
  }
  const std::string_view public_point(reinterpret_cast<const char*>(point), point_len);
  BIGNUM* raw_scalar = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &raw_scalar) != 1) return OpenSslError("reading the private key");
  std::unique_ptr<BIGNUM, pki::Deleter<BN_clear_free>> scalar(raw_scalar);
  std::string private_scalar(32, '\0');
  if (BN_bn2binpad(scalar.get(), reinterpret_cast<unsigned char*>(private_scalar.data()), 32) != 32) {
    return OpenSslError("reading the private key");
  }

  const std::string p256 = der::Sequence(der::Oid(kEcPublicKey) + der::Oid(kPrime256v1));
  const std::string signature_algorithm = der::Sequence(der::Oid(kEcdsaSha256));

  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return OpenSslError("a serial number");
  serial[0] = static_cast<unsigned char>((serial[0] & 0x7f) | 0x40);  // positive, 16 bytes long

  // A little in the past, so a host clock a few seconds behind still accepts it.
  const std::time_t now = std::time(nullptr);
  const std::time_t not_before = now - 30;
  const std::time_t not_after = now + std::time_t{30} * 365 * 24 * 3600;

  // keyUsage: digitalSignature, keyEncipherment, keyAgreement, keyCertSign
  // (bits 0, 2, 4, 5: 0b10101100, the two lowest bits unused).
  const std::string key_usage = der::Tlv(0x03, std::string("\x02\xac", 2));
  // The host uses the certificate as its only root, and Go verifies the SAN
  // against ServerName "localhost".
  const std::string extensions = der::Sequence(
      Extension(kKeyUsage, true, key_usage) +
      Extension(kExtKeyUsage, false, der::Sequence(der::Oid(kServerAuth) + der::Oid(kClientAuth))) +
      Extension(kBasicConstraints, true, der::Sequence(der::Boolean(true))) +
      Extension(kSubjectAltName, false, der::Sequence(der::Tlv(0x82, "localhost"))));

  const std::string tbs = der::Sequence(
      der::Explicit(0, der::SmallInteger(2)) +  // v3
      der::UnsignedInteger(std::string_view(reinterpret_cast<const char*>(serial), sizeof serial)) +
      signature_algorithm + Name() + der::Sequence(der::Time(not_before) + der::Time(not_after)) + Name() +
      der::Sequence(p256 + der::BitString(public_point)) + der::Explicit(3, extensions));

  // ECDSA over SHA-256; the signature comes out as a DER Ecdsa-Sig-Value.
  std::unique_ptr<EVP_MD_CTX, pki::Deleter<EVP_MD_CTX_free>> md(EVP_MD_CTX_new());
  size_t signature_len = 0;
  if (!md || EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, pkey, nullptr) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &signature_len, reinterpret_cast<const unsigned char*>(tbs.data()),
                     tbs.size()) != 1) {
    return OpenSslError("signing the certificate");
  }
  std::string signature(signature_len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(signature.data()), &signature_len,
                     reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()) != 1) {
    return OpenSslError("signing the certificate");
  }
  signature.resize(signature_len);

  ServerIdentity identity;
  identity.cert_der = der::Sequence(tbs + signature_algorithm + der::BitString(signature));
  identity.cert_pem = der::Pem("CERTIFICATE", identity.cert_der);
  // PKCS#8 around an ECPrivateKey whose curve the outer algorithm names. Like
  // the key itself, it never leaves this process's memory.
  const std::string ec_private_key = der::Sequence(der::SmallInteger(1) + der::OctetString(private_scalar) +
                                                   der::Tlv(0xa1, der::BitString(public_point)));
  identity.key_pem = der::Pem("PRIVATE KEY", der::Sequence(der::SmallInteger(0) + p256 + der::OctetString(ec_private_key)));
  return identity;
}

}  // namespace pgha::plugin
