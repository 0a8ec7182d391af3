// PEM certificates and private keys as users give them: parsed or refused;
// an accepted key re-encodes to a key that parses to the same key.
#include <openssl/evp.h>

#include <cstdlib>

#include "pki/pem.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)pgha::pki::ParseCertificates(text);
  auto key = pgha::pki::ParsePrivateKey(text);
  if (key.ok()) {
    auto canonical = pgha::pki::CanonicalPrivateKeyPem(text);
    if (!canonical.ok()) std::abort();
    auto again = pgha::pki::ParsePrivateKey(*canonical);
    if (!again.ok() || EVP_PKEY_eq(key->get(), again->get()) != 1) std::abort();
  }
  return 0;
}
