#include "pki/openssl_error.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <string>

#include "gtest/gtest.h"

namespace pgha::pki {
namespace {

TEST(OpenSslError, CarriesTheReasonAndEmptiesTheQueue) {
  // An unknown algorithm makes OpenSSL queue a real error.
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "no-such-algorithm", nullptr);
  ASSERT_EQ(ctx, nullptr);
  ASSERT_NE(ERR_peek_error(), 0UL);
  const absl::Status status = OpenSslError("making a key");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  const std::string message(status.message());
  EXPECT_EQ(message.rfind("making a key: ", 0), 0U) << message;
  EXPECT_EQ(message.find("unknown OpenSSL error"), std::string::npos) << message;
  EXPECT_EQ(ERR_peek_error(), 0UL);
  // With nothing queued, the message says so rather than repeating the old reason.
  EXPECT_EQ(std::string(OpenSslError("signing").message()), "signing: unknown OpenSSL error");
}

}  // namespace
}  // namespace pgha::pki
