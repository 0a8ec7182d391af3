#include "plugin/automtls.h"

#include <ctime>

#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/pem.h"

namespace pgha::plugin {

absl::StatusOr<ServerIdentity> GenerateServerIdentity() {
  auto key = pki::GenerateKey(pki::KeyAlgorithm::kEcdsaP256);
  if (!key.ok()) return key.status();
  pki::CertificateRequest request;
  // Go verifies the SAN with ServerName "localhost".
  request.common_name = "localhost";
  request.organization = "pgha";
  request.dns_names = {"localhost"};
  request.allowed_uses = {"digital_signature", "key_encipherment", "key_agreement",
                          "cert_signing",      "server_auth",      "client_auth"};
  request.is_ca = true;  // the host uses it as its only root
  // A little in the past, so a host clock a few seconds behind still accepts it.
  request.not_before = std::time(nullptr) - 30;
  request.validity_hours = 24 * 365 * 30;
  auto issued = pki::IssueCertificate(request, key->get(), nullptr, key->get());
  if (!issued.ok()) return issued.status();
  ServerIdentity identity;
  identity.cert_pem = pki::CertificateToPem(issued->cert.get());
  identity.cert_der = pki::CertificateToDer(issued->cert.get());
  identity.key_pem = pki::PrivateKeyToPem(key->get());
  return identity;
}

}  // namespace pgha::plugin
