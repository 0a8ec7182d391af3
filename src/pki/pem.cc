#include "pki/pem.h"

#include <algorithm>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/status/status.h"
#include "base/strings.h"

namespace pgha::pki {
namespace {

BioPtr MemoryBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string Drain(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

// The first OpenSSL reason on the error queue, for a message a user can act on.
std::string OpenSslReason() {
  unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  if (err == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(err);
  return reason ? reason : "unknown error";
}

}  // namespace

absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(std::string_view pem) {
  if (!(pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos)) {
    return absl::InvalidArgumentError("no PEM block of type CERTIFICATE found");
  }
  BioPtr bio = MemoryBio(pem);
  std::vector<X509Ptr> certs;
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    certs.emplace_back(cert);
  }
  unsigned long err = ERR_peek_last_error();
  // Reaching the end of the input is the normal way out of the loop.
  if (err != 0 && !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
    return absl::InvalidArgumentError(pgha::StrCat("malformed PEM certificate: ", OpenSslReason()));
  }
  ERR_clear_error();
  if (certs.empty()) return absl::InvalidArgumentError("no certificate could be read from the PEM data");
  return certs;
}

absl::StatusOr<PkeyPtr> ParsePrivateKey(std::string_view pem) {
  if (!(pem.find("PRIVATE KEY-----") != std::string_view::npos)) {
    return absl::InvalidArgumentError("no PEM block of type PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY found");
  }
  if ((pem.find("ENCRYPTED PRIVATE KEY") != std::string_view::npos) || (pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos)) {
    return absl::InvalidArgumentError("encrypted private keys are not supported; provide the key unencrypted");
  }
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  const size_t begin = pem.find("-----BEGIN");
  const std::string_view before = pem.substr(0, begin);
  if (!std::all_of(before.begin(), before.end(), is_space)) {
    return absl::InvalidArgumentError("text before the private key's PEM block; give the key alone");
  }
  const std::string_view first_line = pem.substr(begin, pem.find('\n', begin) - begin);
  if (first_line.find("PRIVATE KEY-----") == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "more than one PEM block; give the private key alone (e.g. without the EC PARAMETERS or a certificate)");
  }
  BioPtr bio = MemoryBio(pem);
  // A null passphrase callback with an empty password: never prompt on a terminal.
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  if (key == nullptr) return absl::InvalidArgumentError(pgha::StrCat("malformed PEM private key: ", OpenSslReason()));
  PkeyPtr owned(key);
  const std::string rest = Drain(bio.get());
  if (!std::all_of(rest.begin(), rest.end(), is_space)) {
    return absl::InvalidArgumentError(
        rest.find("-----BEGIN") != std::string::npos
            ? "more than one PEM block; give the private key alone (e.g. without the EC PARAMETERS or a certificate)"
            : "text after the private key's PEM block; give the key alone");
  }
  return owned;
}

absl::StatusOr<std::string> CanonicalPrivateKeyPem(std::string_view pem) {
  auto key = ParsePrivateKey(pem);
  if (!key.ok()) return key.status();
  return PrivateKeyToPem(key->get());
}

std::string CertificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return Drain(bio.get());
}

std::string CertificateToDer(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string PrivateKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return Drain(bio.get());
}

std::string PublicKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key);
  return Drain(bio.get());
}

}  // namespace pgha::pki
