#include "resources/etcd_membership.h"

#include <nlohmann/json.hpp>

#include "resources/registry.h"
#include "schema/validate.h"
#include "support/real_etcd.h"
#include "value/json_codec.h"

namespace pgha::resources {
namespace {

class EtcdMembershipTest : public testing::RealEtcdTest {
 protected:
  void SetUp() override {
    RealEtcdTest::SetUp();
    auto catalog = schema::Catalog::LoadEmbedded();
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::make_unique<schema::Catalog>(*std::move(catalog));
    auto registry = Registry::Build(*catalog_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::make_unique<Registry>(*std::move(registry));
    resource_ = registry_->Find("pgha_etcd_membership");
    ASSERT_NE(resource_, nullptr);
  }

  // A configuration for member i, as root by certificate (or with no credential at all).
  value::Value Config(int i, bool credentials = true) const {
    nlohmann::json j = {{"endpoints", {ClientUrl(1), ClientUrl(2), ClientUrl(3)}},
                        {"name", Name(i)},
                        {"peer_url", PeerUrl(i)},
                        {"ca_cert", Read("ca.crt")},
                        {"timeouts", {{"create", "2m"}, {"delete", "1m"}}}};
    if (credentials) {
      j["client_cert"] = Read("root.crt");
      j["client_key"] = Read("root.key");
    }
    auto v = value::DecodeJsonText(j.dump(), resource_->schema().type);
    EXPECT_TRUE(v.ok()) << v.status();
    return *v;
  }

  std::vector<std::string> Errors(const value::Diagnostics& diags) const {
    std::vector<std::string> out;
    for (const auto& d : diags.items()) {
      if (d.severity == value::Diagnostic::Severity::kError) {
        out.push_back(d.summary + " @ " + (d.path ? d.path->ToString() : "") + ": " + d.detail);
      }
    }
    return out;
  }

  Cancellation cancel_;
  Context ctx() const { return Context{value::Value(), cancel_, 0}; }
  std::unique_ptr<schema::Catalog> catalog_;
  std::unique_ptr<Registry> registry_;
  const Resource* resource_ = nullptr;
};

TEST_F(EtcdMembershipTest, NamesTheMissingCredential) {
  value::Diagnostics diags;
  resource_->ValidateConfig(Config(4, /*credentials=*/false), diags);
  auto errors = Errors(diags);
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? std::string("none") : errors[0]);
  EXPECT_NE(errors[0].find("No credential for etcd's root @ root_password"), std::string::npos) << errors[0];
}

TEST_F(EtcdMembershipTest, CreateAddsAndPromotesDestroyRemovesAndAPlanNeverTakesTheQuorum) {
  StartCluster(3);
  // The new member's etcd starts once it has been added, as a VM booting beside the apply would.
  std::thread vm([&] {
    etcd::Client watcher = RootClient({ClientUrl(1)});
    for (int i = 0; i < 300; ++i) {
      auto members = watcher.MemberList();
      if (members.ok() && members->size() == 4) {
        std::string initial;
        for (int m = 1; m <= 4; ++m) initial += (m > 1 ? "," : "") + Name(m) + "=" + PeerUrl(m);
        StartMember(4, initial, "existing");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  value::Diagnostics diags;
  const value::Value planned = Config(4);
  value::Value state = resource_->Create(ctx(), planned, diags);
  vm.join();
  ASSERT_TRUE(Errors(diags).empty()) << Errors(diags)[0];
  EXPECT_FALSE(state.GetAttr("is_learner").AsBool());
  EXPECT_FALSE(state.GetAttr("member_id").AsString().empty());
  EXPECT_NE(state.GetAttr("initial_cluster").AsString().find(Name(4) + "=" + PeerUrl(4)), std::string::npos);
  EXPECT_EQ(resource_->Read(ctx(), state, diags).GetAttr("member_id").AsString(), state.GetAttr("member_id").AsString());

  // One plan removing 2 of the 4 voters would leave 2, under the quorum of 3: the second is refused.
  value::Diagnostics plan;
  resource_->PlanDestroy(ctx(), state, plan);
  EXPECT_TRUE(Errors(plan).empty());
  resource_->PlanDestroy(ctx(), Config(3), plan);
  auto refused = Errors(plan);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].find("Removal would break etcd's quorum @ peer_url"), std::string::npos) << refused[0];

  resource_->Delete(ctx(), state, diags);
  ASSERT_TRUE(Errors(diags).empty()) << Errors(diags)[0];
  auto members = RootClient({ClientUrl(1)}).MemberList();
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->size(), 3u);
  EXPECT_TRUE(resource_->Read(ctx(), state, diags).IsNull());  // gone: the next plan adds it again
}

}  // namespace
}  // namespace pgha::resources
