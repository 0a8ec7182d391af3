#include "roles/pieces.h"

#include "gtest/gtest.h"

namespace pgha::roles {
namespace {

TEST(Pieces, HaproxyTimes) {
  for (const char* ok : {"0", "5000", "10s", "250ms", "30us", "1m", "2h", "1d"}) EXPECT_TRUE(IsHaproxyTime(ok)) << ok;
  for (const char* bad : {"", "s", "10 s", "10sec", "-1", "1.5s", "10S", "10ss"}) {
    EXPECT_FALSE(IsHaproxyTime(bad)) << bad;
  }
}

TEST(Pieces, ListenAddresses) {
  for (const char* ok : {"0.0.0.0:5432", ":8008", "[::1]:5432", "[fe80::1]:1", "db-1.example:80", "host:65535"}) {
    EXPECT_TRUE(IsListenAddress(ok)) << ok;
  }
  for (const char* bad : {"", "5432", "host:", "host:123456", "::1:5432", "[]:80", "[::1:80", "ho st:80",
                          "host:8a", "[g::1]:80", "a_b:80"}) {
    EXPECT_FALSE(IsListenAddress(bad)) << bad;
  }
}

}  // namespace
}  // namespace pgha::roles
