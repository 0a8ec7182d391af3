#include "plugin/automtls.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "gtest/gtest.h"
#include "pki/handles.h"

namespace pgha::plugin {
namespace {

pki::X509Ptr FromDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return pki::X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

TEST(AutoMtls, TheHandWrittenCertificateIsOneOpenSslAcceptsForLocalhost) {
  auto identity = GenerateServerIdentity();
  ASSERT_TRUE(identity.ok()) << identity.status();
  pki::X509Ptr cert = FromDer(identity->cert_der);
  ASSERT_NE(cert, nullptr) << "the DER does not parse";
  // The PEM is the same certificate.
  pki::BioPtr bio(BIO_new_mem_buf(identity->cert_pem.data(), static_cast<int>(identity->cert_pem.size())));
  pki::X509Ptr from_pem(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(from_pem, nullptr);
  EXPECT_EQ(X509_cmp(cert.get(), from_pem.get()), 0);

  // Self-signed, and the signature holds.
  EXPECT_EQ(X509_get_version(cert.get()), 2);  // v3
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);

  // What go-plugin's host checks: the name, server use, and (as its only root) a CA.
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE);
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN);
  EXPECT_FALSE(X509_get_key_usage(cert.get()) & KU_CRL_SIGN);
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT);

  // Valid from a little before now, for decades (GeneralizedTime past 2049).
  std::time_t now = std::time(nullptr);
  EXPECT_LT(X509_cmp_time(X509_get0_notBefore(cert.get()), &now), 0);
  std::time_t in_29_years = now + std::time_t{29} * 365 * 24 * 3600;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(cert.get()), &in_29_years), 0);

  // The key is a P-256 PKCS#8 key that matches the certificate.
  ASSERT_NE(identity->key_pem.find("-----BEGIN PRIVATE KEY-----\n"), std::string::npos);
  pki::BioPtr key_bio(BIO_new_mem_buf(identity->key_pem.data(), static_cast<int>(identity->key_pem.size())));
  pki::PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

TEST(AutoMtls, EveryProcessGetsItsOwnKeyAndSerial) {
  auto a = GenerateServerIdentity();
  auto b = GenerateServerIdentity();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->key_pem, b->key_pem);
  pki::X509Ptr ca = FromDer(a->cert_der), cb = FromDer(b->cert_der);
  ASSERT_TRUE(ca && cb);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca.get()), X509_get0_serialNumber(cb.get())), 0);
  // 16 random bytes, positive.
  EXPECT_EQ(X509_get0_serialNumber(ca.get())->length, 16);
  EXPECT_EQ(X509_get0_serialNumber(ca.get())->type, V_ASN1_INTEGER);
}

}  // namespace
}  // namespace pgha::plugin
