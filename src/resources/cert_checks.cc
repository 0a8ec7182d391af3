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

void ErrorUnlessNamed(const value::Value& pem, const std::string& name, bool as_common_name, const std::string& why,
                      const value::Path& path, value::Diagnostics& diags) {
  auto cert = Leaf(pem);
  if (!cert || name.empty()) return;
  bool named = false;
  if (as_common_name) {
    X509_NAME* subject = X509_get_subject_name(cert.get());
    for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0 && !named;
         i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
      const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
      named = std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                          static_cast<size_t>(ASN1_STRING_length(data))) == name;
    }
  } else {
    named = X509_check_ip_asc(cert.get(), name.c_str(), 0) == 1 ||
            X509_check_host(cert.get(), name.c_str(), name.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1;
  }
  if (!named) {
    diags.AddError(as_common_name ? "Certificate lacks the peers' common name" : "Certificate lacks the peers' host name",
                   pgha::StrCat("The certificate does not carry \"", name, "\"", as_common_name ? " as its CN" : " among its SANs",
                                "; ", why, "."),
                   path);
  }
}

std::string GuestKeyPem(const std::string& text) {
  if (text.empty()) return text;
  auto canonical = pki::CanonicalPrivateKeyPem(text);
  return canonical.ok() ? *canonical : text;
}

}  // namespace pgha::resources
