#include "resources/cert_checks.h"

#include <openssl/x509v3.h>

#include "base/strings.h"
#include "pki/pem.h"
#include "value/accessors.h"

namespace pgha::resources {
namespace {

// The leaf of a known PEM chain, or null (unknown, null or unparsable: other checks report those).
pki::X509Ptr Leaf(const value::Value& pem) {
  if (!pem.IsKnown()) return nullptr;
  auto certs = pki::ParseCertificates(pem.AsString());
  if (!certs.ok() || certs->empty()) return nullptr;
  return std::move(certs->front());
}

}  // namespace

void WarnUnlessCoversIp(const value::Value& pem, const std::string& ip, const std::string& purpose,
                        const value::Path& path, value::Diagnostics& diags) {
  auto cert = Leaf(pem);
  if (!cert || ip.empty()) return;
  if (X509_check_ip_asc(cert.get(), ip.c_str(), 0) != 1) {
    diags.AddWarning("Certificate does not cover the advertised address",
                     pgha::StrCat("The certificate has no IP SAN for ", ip, "; ", purpose,
                                  " connecting there with verification will refuse it."),
                     path);
  }
}

void WarnUnlessClientAuth(const value::Value& pem, const std::string& purpose, const value::Path& path,
                          value::Diagnostics& diags) {
  auto cert = Leaf(pem);
  if (!cert) return;
  const uint32_t flags = X509_get_extension_flags(cert.get());
  if ((flags & EXFLAG_XKUSAGE) && !(X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT)) {
    diags.AddWarning("Certificate cannot authenticate a client",
                     pgha::StrCat("The certificate's extended key usage lacks client_auth, but ", purpose, "."),
                     path);
  }
}

void ErrorIfCommonName(const value::Value& pem, const std::string& why, const value::Path& path,
                       value::Diagnostics& diags) {
  auto cert = Leaf(pem);
  if (!cert) return;
  if (X509_NAME_get_index_by_NID(X509_get_subject_name(cert.get()), NID_commonName, -1) >= 0) {
    diags.AddError("Certificate must not have a common name", why, path);
  }
}

std::string GuestKeyPem(const value::Value& obj, const std::string& attr) {
  const std::string text = value::GetString(obj, attr);
  if (text.empty()) return text;
  auto canonical = pki::CanonicalPrivateKeyPem(text);
  return canonical.ok() ? *canonical : text;
}

}  // namespace pgha::resources
