#include "resources/guest.h"

#include "gtest/gtest.h"

namespace pgha::resources {
namespace {

using value::Value;

Value Nic(const std::string& ip, int64_t prefix) {
  return Value::Object({{"ip", Value::String(ip)},
                        {"prefix_length", Value::Int(prefix)},
                        {"mac", Value::Null(value::Type::String())},
                        {"gateway", Value::Null(value::Type::String())},
                        {"dns_servers", Value::Null(value::Type::List(value::Type::String()))}});
}

Value Config(const Value& nic) {
  return Value::Object({{"name", Value::String("pg-1")},
                        {"network_interface", Value::List(nic.type(), {nic})},
                        {"admin_user_password", Value::String("console secret")}});
}

TEST(Guest, AdvertisedNetworkMasksTheAddress) {
  EXPECT_EQ(AdvertisedNetwork(Config(Nic("10.1.2.3", 24))), "10.1.2.0/24");
  EXPECT_EQ(AdvertisedNetwork(Config(Nic("10.1.2.3", 20))), "10.1.0.0/20");
  EXPECT_EQ(AdvertisedNetwork(Config(Nic("fd00:1:2:3::5", 64))), "fd00:1:2:3::/64");
  EXPECT_EQ(AdvertisedNetwork(Config(Nic("10.1.2.3", 40))), "");
  EXPECT_EQ(AdvertisedIp(Config(Nic("10.1.2.3", 24))), "10.1.2.3");
}

TEST(Guest, RenderingIsDeterministicAndHidesThePassword) {
  RoleOutput role;
  role.service = "svc";
  role.unit = "svc.service";
  role.pieces.data_path = "/var/lib/svc";
  auto a = RenderGuest(Config(Nic("10.1.2.3", 24)), role, "/dev/vdb");
  auto b = RenderGuest(Config(Nic("10.1.2.3", 24)), role, "/dev/vdb");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->seed.user_data, b->seed.user_data);
  EXPECT_EQ(a->digest, b->digest);
  EXPECT_EQ(a->seed.user_data.find("console secret"), std::string::npos);
  EXPECT_NE(a->seed.user_data.find("$6$"), std::string::npos);  // SHA-512 crypt
  EXPECT_NE(a->seed.meta_data.find(a->digest.substr(0, 16)), std::string::npos);
  // The derived MAC ties network-config to the NIC pgha defines.
  EXPECT_NE(a->seed.network_config.find(DerivedMac("pg-1", 0)), std::string::npos);
  auto moved = RenderGuest(Config(Nic("10.1.2.4", 24)), role, "/dev/vdb");
  ASSERT_TRUE(moved.ok());
  EXPECT_NE(moved->digest, a->digest);
}

}  // namespace
}  // namespace pgha::resources
