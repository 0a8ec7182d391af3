#include "plugin/handshake.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace pgha::plugin {
namespace {

TEST(Handshake, NegotiatesSixFromAnyOrder) {
  EXPECT_EQ(NegotiateProtocol("5,6"), 6);
  EXPECT_EQ(NegotiateProtocol("6,5"), 6);
  EXPECT_EQ(NegotiateProtocol("6"), 6);
  EXPECT_EQ(NegotiateProtocol(nullptr), 6);
  EXPECT_EQ(NegotiateProtocol("4,5"), std::nullopt);
}

TEST(Handshake, CookieMustMatchExactly) {
  EXPECT_TRUE(HasMagicCookie("d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"));
  EXPECT_FALSE(HasMagicCookie("d602bf8f"));
  EXPECT_FALSE(HasMagicCookie(nullptr));
}

TEST(Handshake, LineHasSixFieldsAndUnpaddedBase64) {
  EXPECT_EQ(HandshakeLine(6, "unix", "/tmp/x/plugin.sock", ""), "1|6|unix|/tmp/x/plugin.sock|grpc|\n");
  // "ab" encodes to "YWI=" padded; Go's RawStdEncoding wants "YWI".
  EXPECT_EQ(Base64NoPad("ab"), "YWI");
  EXPECT_EQ(Base64NoPad("abc"), "YWJj");
  EXPECT_EQ(HandshakeLine(6, "unix", "/s", "ab"), "1|6|unix|/s|grpc|YWI\n");
}

TEST(Handshake, ReattachJsonIsWhatTerraformExpects) {
  auto j = nlohmann::json::parse(ReattachJson("registry.terraform.io/pgha/pgha", 42, "/tmp/s"));
  const auto& e = j["registry.terraform.io/pgha/pgha"];
  EXPECT_EQ(e["Protocol"], "grpc");
  EXPECT_EQ(e["ProtocolVersion"], 6);
  EXPECT_EQ(e["Pid"], 42);
  EXPECT_EQ(e["Test"], true);
  EXPECT_EQ(e["Addr"]["Network"], "unix");
  EXPECT_EQ(e["Addr"]["String"], "/tmp/s");
}

}  // namespace
}  // namespace pgha::plugin
