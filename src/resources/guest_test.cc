#include "resources/guest.h"

#include <crypt.h>

#include "gtest/gtest.h"
#include "value/json_codec.h"

namespace pgha::resources {
namespace {

using schema::Reader;
using value::Value;

// The guest inputs as the data sources carry them (schemas/fragments/guest.json).
const schema::Schema& DataSourceSchema() {
  static const schema::Catalog* catalog = new schema::Catalog(schema::Catalog::LoadEmbedded().value());
  return *catalog->data_source("pgha_etcd_member_cloud_init");
}
const schema::Block& GuestSchema() { return DataSourceSchema().block; }

Reader Read(const Value& config) { return Reader(GuestSchema(), config); }

const value::Type& catalog_type() { return DataSourceSchema().type; }

Value Nic(const std::string& ip, int64_t prefix) {
  return Value::Object({{"ip", Value::String(ip)},
                        {"prefix_length", Value::Int(prefix)},
                        {"mac", Value::Null(value::Type::String())},
                        {"gateway", Value::Null(value::Type::String())},
                        {"dns_servers", Value::Null(value::Type::List(value::Type::String()))}});
}

Value Config(const Value& nic, const std::string& password = "console secret") {
  return Value::Object({{"name", Value::String("pg-1")},
                        {"network_interface", Value::List(nic.type(), {nic})},
                        {"admin_user_password", Value::String(password)}});
}

// The "$6$salt$hash" in a rendered user-data.
std::string ConsoleHash(const std::string& user_data) {
  const auto at = user_data.find("$6$");
  return at == std::string::npos ? "" : user_data.substr(at, user_data.find_first_of("\n\"' ", at) - at);
}

TEST(Guest, AdvertisedNetworkMasksTheAddress) {
  EXPECT_EQ(AdvertisedNetwork(Read(Config(Nic("10.1.2.3", 24)))), "10.1.2.0/24");
  EXPECT_EQ(AdvertisedNetwork(Read(Config(Nic("10.1.2.3", 20)))), "10.1.0.0/20");
  EXPECT_EQ(AdvertisedNetwork(Read(Config(Nic("fd00:1:2:3::5", 64)))), "fd00:1:2:3::/64");
  EXPECT_EQ(AdvertisedNetwork(Read(Config(Nic("10.1.2.3", 40)))), "");
  EXPECT_EQ(AdvertisedIp(Read(Config(Nic("10.1.2.3", 24)))), "10.1.2.3");
}

TEST(Guest, RenderingIsDeterministicAndHidesThePassword) {
  RoleOutput role;
  role.service = "svc";
  role.unit = "svc.service";
  role.pieces.data_path = "/var/lib/svc";
  auto a = RenderGuest(Read(Config(Nic("10.1.2.3", 24))), role, "/dev/vdb");
  auto b = RenderGuest(Read(Config(Nic("10.1.2.3", 24))), role, "/dev/vdb");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->seed.user_data, b->seed.user_data);
  EXPECT_EQ(a->digest, b->digest);
  EXPECT_EQ(a->seed.user_data.find("console secret"), std::string::npos);
  EXPECT_NE(a->seed.user_data.find("$6$"), std::string::npos);  // SHA-512 crypt
  EXPECT_NE(a->seed.meta_data.find(a->digest.substr(0, 16)), std::string::npos);
  // The derived MAC ties network-config to the NIC pgha defines.
  EXPECT_NE(a->seed.network_config.find(DerivedMac("pg-1", 0)), std::string::npos);
  auto moved = RenderGuest(Read(Config(Nic("10.1.2.4", 24))), role, "/dev/vdb");
  ASSERT_TRUE(moved.ok());
  EXPECT_NE(moved->digest, a->digest);
}

TEST(Guest, TheConsoleSaltNeverComesFromThePassword) {
  RoleOutput role;
  role.service = "svc";
  role.unit = "svc.service";
  auto one = RenderGuest(Read(Config(Nic("10.1.2.3", 24), "first password")), role, "");
  auto two = RenderGuest(Read(Config(Nic("10.1.2.3", 24), "second password")), role, "");
  auto elsewhere = RenderGuest(Read(Config(Nic("10.1.2.9", 24), "first password")), role, "");
  ASSERT_TRUE(one.ok() && two.ok() && elsewhere.ok());
  const std::string h1 = ConsoleHash(one->seed.user_data), h2 = ConsoleHash(two->seed.user_data),
                    h3 = ConsoleHash(elsewhere->seed.user_data);
  ASSERT_EQ(h1.size(), 3 + 16 + 1 + 86u) << h1;
  // Same VM, other password: same salt. Another VM, same password: another salt, another hash.
  EXPECT_EQ(h1.substr(0, 20), h2.substr(0, 20));
  EXPECT_NE(h1.substr(0, 20), h3.substr(0, 20));
  EXPECT_NE(h1, h3);
  // And the hash is the password's: crypt(3) verifies it.
  struct crypt_data data = {};
  EXPECT_EQ(std::string(crypt_r("first password", h1.c_str(), &data)), h1);
}

// A whole configuration, as Terraform sends it (every attribute present).
Value WithFluentBit(bool install_dependencies) {
  const std::string json = std::string(R"({"name": "pg-1", "install_dependencies": )") +
                           (install_dependencies ? "true" : "false") + R"(,
      "network_interface": [{"ip": "10.1.2.3", "prefix_length": 24}],
      "fluentbit": {"enabled": true, "forward": {"domain": "logs.internal", "shared_key": "k", "ca_cert": "CA"}}})";
  auto config = value::DecodeJsonText(json, catalog_type());
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

// fluent-bit is not in Debian: pgha cannot install it, so asking it to is a plan-time error, and a
// guest whose image lacks it ends cloud-init in error rather than forwarding nothing in silence.
TEST(Guest, FluentBitComesFromTheImageAndItsAbsenceIsLoud) {
  value::Diagnostics diags;
  ValidateGuest(Read(WithFluentBit(true)), diags);
  ASSERT_TRUE(diags.HasError());
  EXPECT_EQ(diags.items()[0].summary, "fluent-bit cannot be installed from Debian");
  EXPECT_EQ(diags.items()[0].path->ToString(), "fluentbit.enabled");
  value::Diagnostics fine;
  ValidateGuest(Read(WithFluentBit(false)), fine);
  EXPECT_FALSE(fine.HasError());

  RoleOutput role;
  role.service = "svc";
  role.unit = "svc.service";
  auto docs = RenderGuest(Read(WithFluentBit(false)), role, "");
  ASSERT_TRUE(docs.ok()) << docs.status();
  const std::string& user_data = docs->seed.user_data;
  const auto check = user_data.rfind("is-active --quiet fluent-bit");
  ASSERT_NE(check, std::string::npos) << user_data;
  // It is the last command: the runcmd script's status is its last command's.
  EXPECT_EQ(user_data.find("\n- -", check), std::string::npos) << user_data.substr(check);
}

}  // namespace
}  // namespace pgha::resources
