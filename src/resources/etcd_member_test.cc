// pgha_etcd_member's own rules, through the resource as the provider calls it.
#include "resources/etcd_member.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "resources/registry.h"
#include "schema/validate.h"
#include "value/json_codec.h"

namespace pgha::resources {
namespace {

class EtcdMemberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = schema::Catalog::LoadEmbedded();
    ASSERT_TRUE(catalog.ok());
    catalog_ = std::make_unique<schema::Catalog>(*std::move(catalog));
    auto registry = Registry::Build(*catalog_);
    ASSERT_TRUE(registry.ok());
    registry_ = std::make_unique<Registry>(*std::move(registry));
    resource_ = registry_->Find("pgha_etcd_member");
    ASSERT_NE(resource_, nullptr);
  }

  // The summaries and paths of the errors validation reports for `name` in a
  // new three-member cluster, with `auth` as its authentication_bootstrap block.
  std::vector<std::string> Errors(const std::string& name, const std::string& auth) const {
    const std::string json = R"({"name": ")" + name + R"(", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
      "network_interface": [{"network_name": "n", "ip": "10.0.0.11", "prefix_length": 24}],
      "cluster": {"is_initializing": true, "initial_token": "t", "initial_members": [
        {"name": "etcd-1", "ip": "10.0.0.11"}, {"name": "etcd-2", "ip": "10.0.0.12"}, {"name": "etcd-3", "ip": "10.0.0.13"}]},
      "authentication_bootstrap": )" + auth + "}";
    auto config = value::DecodeJsonText(json, resource_->schema().type);
    EXPECT_TRUE(config.ok()) << config.status();
    value::Diagnostics diags;
    resource_->ValidateConfig(*config, diags);
    std::vector<std::string> out;
    for (const auto& d : diags.items()) {
      if (d.severity == value::Diagnostic::Severity::kError && d.summary.find("tls") == std::string::npos) {
        out.push_back(d.summary + " @ " + (d.path ? d.path->ToString() : ""));
      }
    }
    return out;
  }

  std::unique_ptr<schema::Catalog> catalog_;
  std::unique_ptr<Registry> registry_;
  const Resource* resource_ = nullptr;
};

bool Has(const std::vector<std::string>& errors, const std::string& what) {
  for (const auto& e : errors) {
    if (e.find(what) != std::string::npos) return true;
  }
  return false;
}

TEST_F(EtcdMemberTest, ANewClusterWithoutAuthenticationIsRefusedUnlessChosen) {
  auto errors = Errors("etcd-1", "null");
  EXPECT_TRUE(Has(errors, "No member turns etcd authentication on @ authentication_bootstrap.bootstrap"))
      << ::testing::PrintToString(errors);
  errors = Errors("etcd-1", R"({"bootstrap": false})");
  EXPECT_TRUE(Has(errors, "No member turns etcd authentication on")) << ::testing::PrintToString(errors);
  EXPECT_FALSE(Has(Errors("etcd-1", R"({"bootstrap": true})"), "authentication"));
  EXPECT_FALSE(Has(Errors("etcd-1", R"({"unauthenticated": true})"), "authentication"));
  // The other members leave it to the first.
  EXPECT_FALSE(Has(Errors("etcd-2", "null"), "authentication"));
}

TEST_F(EtcdMemberTest, OnlyTheFirstMemberBootstraps) {
  EXPECT_TRUE(Has(Errors("etcd-2", R"({"bootstrap": true})"), "Only the first member bootstraps authentication"));
  EXPECT_TRUE(Has(Errors("etcd-1", R"({"bootstrap": true, "unauthenticated": true})"),
                  "Conflicting authentication settings @ authentication_bootstrap.unauthenticated"));
}

}  // namespace
}  // namespace pgha::resources

namespace pgha::resources {
namespace {

// Numbers that reach libvirt or OpenSSL are bounded at validate time, at their path:
// shutdown_timeout = 1e10 used to overflow the wait in the sanitizer build and force the VM off
// at once in release.
TEST_F(EtcdMemberTest, NumbersOutOfRangeAreRefusedAtTheirPath) {
  for (const auto& [attr, bad] : std::vector<std::pair<std::string, std::string>>{
           {"shutdown_timeout", "1e10"}, {"memory", "1e12"}, {"vcpus", "100000"}}) {
    const std::string json = R"({"name": "etcd-1", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p", ")" +
                             attr + "\": " + bad + "}";
    auto config = value::DecodeJsonText(json, resource_->schema().type);
    ASSERT_TRUE(config.ok()) << config.status();
    value::Diagnostics diags;
    schema::ValidateConfig(resource_->schema().block, *config, diags);
    bool found = false;
    for (const auto& d : diags.items()) found |= d.path && d.path->ToString() == attr && d.summary.find("Invalid value") == 0;
    EXPECT_TRUE(found) << attr << " = " << bad << " passed validation";
  }
}

}  // namespace
}  // namespace pgha::resources
