#include "pki/certificate.h"

#include <openssl/x509v3.h>

#include "gtest/gtest.h"
#include "pki/key.h"
#include "pki/pem.h"

#include <openssl/pem.h>

namespace pgha::pki {
namespace {

struct Issued {
  PkeyPtr key;
  X509Ptr cert;
};

Issued Make(KeyAlgorithm alg, CertificateRequest req, const Issued* ca) {
  auto key = GenerateKey(alg);
  EXPECT_TRUE(key.ok());
  if (req.not_before == 0) req.not_before = std::time(nullptr);
  if (req.validity_hours == 0) req.validity_hours = 24;
  auto issued = IssueCertificate(req, key->get(), ca ? ca->cert.get() : nullptr, ca ? ca->key.get() : key->get());
  EXPECT_TRUE(issued.ok()) << issued.status();
  return {*std::move(key), std::move(issued->cert)};
}

CertificateRequest CaRequest() {
  CertificateRequest r;
  r.common_name = "Test CA";
  r.is_ca = true;
  r.allowed_uses = {"cert_signing", "crl_signing"};
  return r;
}

TEST(Certificate, EveryAlgorithmSignsAVerifiableChain) {
  for (auto ca_alg : {KeyAlgorithm::kRsa2048, KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kEcdsaP384,
                      KeyAlgorithm::kEd25519}) {
    Issued ca = Make(ca_alg, CaRequest(), nullptr);
    EXPECT_TRUE(IsCa(ca.cert.get()));
    for (auto leaf_alg : {KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kEd25519, KeyAlgorithm::kRsa2048}) {
      CertificateRequest r;
      r.common_name = "leaf";
      r.allowed_uses = {"digital_signature", "server_auth"};
      Issued leaf = Make(leaf_alg, r, &ca);
      EXPECT_TRUE(VerifyCertificate(leaf.cert.get(), ca.cert.get()).ok())
          << KeyAlgorithmName(ca_alg) << " -> " << KeyAlgorithmName(leaf_alg);
      EXPECT_FALSE(IsCa(leaf.cert.get()));
      EXPECT_TRUE(KeyMatchesCertificate(leaf.cert.get(), leaf.key.get()));
      EXPECT_FALSE(KeyMatchesCertificate(leaf.cert.get(), ca.key.get()));
    }
  }
}

TEST(Certificate, SansAndUsagesAreAsAsked) {
  Issued ca = Make(KeyAlgorithm::kEcdsaP256, CaRequest(), nullptr);
  CertificateRequest r;
  r.common_name = "db-1";
  r.organization = "pgha";
  r.dns_names = {"db-1", "db-1.example.internal"};
  r.ip_addresses = {"10.0.0.5", "fd00::5"};
  r.allowed_uses = {"digital_signature", "key_encipherment", "server_auth", "client_auth"};
  Issued leaf = Make(KeyAlgorithm::kEcdsaP256, r, &ca);
  X509* cert = leaf.cert.get();

  EXPECT_EQ(X509_check_host(cert, "db-1.example.internal", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "db-2.example.internal", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert, "10.0.0.5", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "fd00::5", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "10.0.0.6", 0), 0);

  const uint32_t ku = X509_get_key_usage(cert);
  EXPECT_TRUE(ku & KU_DIGITAL_SIGNATURE);
  EXPECT_TRUE(ku & KU_KEY_ENCIPHERMENT);
  EXPECT_FALSE(ku & KU_KEY_CERT_SIGN);
  const uint32_t xku = X509_get_extended_key_usage(cert);
  EXPECT_TRUE(xku & XKU_SSL_SERVER);
  EXPECT_TRUE(xku & XKU_SSL_CLIENT);
  EXPECT_FALSE(xku & XKU_CODE_SIGN);
}

TEST(Certificate, ValidityPeriodIsExact) {
  CertificateRequest r = CaRequest();
  r.not_before = 1'800'000'000;
  r.validity_hours = 48;
  Issued ca = Make(KeyAlgorithm::kEcdsaP256, r, nullptr);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(ca.cert.get()), 1'800'000'000), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(ca.cert.get()), 1'800'000'000 + 48 * 3600), 0);
  EXPECT_EQ(Rfc3339(1'800'000'000), "2027-01-15T08:00:00Z");
  EXPECT_EQ(*ParseRfc3339("2027-01-15T08:00:00Z"), 1'800'000'000);
}

TEST(Certificate, ANameCannotInjectExtraSans) {
  Issued ca = Make(KeyAlgorithm::kEcdsaP256, CaRequest(), nullptr);
  CertificateRequest r;
  r.dns_names = {"a.example,IP:1.2.3.4"};
  r.allowed_uses = {"server_auth"};
  Issued leaf = Make(KeyAlgorithm::kEcdsaP256, r, &ca);
  EXPECT_EQ(X509_check_ip_asc(leaf.cert.get(), "1.2.3.4", 0), 0);
}

TEST(Pem, ParsesEveryKeyEncoding) {
  // PKCS#1 (RSA), SEC1 (EC) and PKCS#8 as the tls provider and openssl write them.
  auto rsa = GenerateKey(KeyAlgorithm::kRsa2048);
  ASSERT_TRUE(rsa.ok());
  std::string pkcs8 = PrivateKeyToPem(rsa->get());
  EXPECT_NE(pkcs8.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(ParsePrivateKey(pkcs8).ok());

  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey_traditional(bio.get(), rsa->get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pkcs1(data, static_cast<size_t>(len));
  EXPECT_NE(pkcs1.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(ParsePrivateKey(pkcs1).ok());

  auto ec = GenerateKey(KeyAlgorithm::kEcdsaP256);
  BioPtr ecbio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey_traditional(ecbio.get(), ec->get(), nullptr, nullptr, 0, nullptr, nullptr);
  len = BIO_get_mem_data(ecbio.get(), &data);
  std::string sec1(data, static_cast<size_t>(len));
  EXPECT_NE(sec1.find("BEGIN EC PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(ParsePrivateKey(sec1).ok());
}

TEST(Pem, MalformedInputGivesAReasonWithoutEchoingIt) {
  auto bad = ParsePrivateKey("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()).find("c2VjcmV0"), std::string::npos);
  EXPECT_FALSE(ParseCertificates("not a pem").ok());
  EXPECT_FALSE(ParseCertificates("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
}

}  // namespace
}  // namespace pgha::pki
