#include "resources/certificate.h"

#include "gtest/gtest.h"
#include "pki/certificate.h"
#include "pki/pem.h"
#include "schema/validate.h"

namespace pgha::resources {
namespace {

using value::Type;
using value::Value;

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = schema::Catalog::LoadEmbedded();
    ASSERT_TRUE(catalog.ok());
    catalog_ = std::make_unique<schema::Catalog>(*std::move(catalog));
    schema_ = catalog_->resource("pgha_certificate");
    resource_ = std::make_unique<Certificate>(*schema_);
  }

  // A config with every attribute null except those given.
  Value Config(std::map<std::string, Value> set) const {
    std::map<std::string, Value> attrs;
    for (const auto& [name, t] : schema_->type.attributes()) attrs.emplace(name, Value::Null(t));
    for (auto& [k, v] : set) attrs[k] = v;
    return Value::Object(std::move(attrs));
  }

  Context Ctx() const { return Context{provider_config_, cancel_, now_}; }

  // Plans and applies a create, as Terraform would.
  Value Create(const Value& config) {
    value::Diagnostics diags;
    schema::ValidateConfig(schema_->block, config, diags);
    resource_->ValidateConfig(config, diags);
    EXPECT_FALSE(diags.HasError()) << (diags.items().empty() ? "" : diags.items()[0].detail);
    schema::PlannedChange plan = schema::PlanChange(*schema_, Value::Null(schema_->type), config, config);
    resource_->ModifyPlan(Ctx(), Value::Null(schema_->type), config, plan, diags);
    Value state = resource_->Create(Ctx(), plan.planned, diags);
    EXPECT_FALSE(diags.HasError());
    EXPECT_TRUE(state.IsWhollyKnown());
    return state;
  }

  std::vector<std::string> ErrorPaths(const Value& config) const {
    value::Diagnostics diags;
    schema::ValidateConfig(schema_->block, config, diags);
    resource_->ValidateConfig(config, diags);
    std::vector<std::string> out;
    for (const auto& d : diags.items()) out.push_back(d.path ? d.path->ToString() : "");
    return out;
  }

  Value CaConfig() const {
    return Config({{"common_name", Value::String("CA")},
                   {"is_ca", Value::Bool(true)},
                   {"allowed_uses", Value::StringList({"cert_signing"})}});
  }

  std::unique_ptr<schema::Catalog> catalog_;
  const schema::Schema* schema_ = nullptr;
  std::unique_ptr<Certificate> resource_;
  Value provider_config_;
  Cancellation cancel_;
  std::time_t now_ = 1'800'000'000;
};

TEST_F(CertificateTest, CaSignsLeafWithChain) {
  Value ca = Create(CaConfig());
  EXPECT_EQ(ca.GetAttr("ca_cert_pem"), ca.GetAttr("cert_pem"));
  Value leaf = Create(Config({{"common_name", Value::String("db")},
                              {"ip_addresses", Value::StringList({"10.1.2.3"})},
                              {"allowed_uses", Value::StringList({"server_auth"})},
                              {"ca_cert_pem", ca.GetAttr("cert_pem")},
                              {"ca_private_key_pem", ca.GetAttr("private_key_pem")}}));
  EXPECT_EQ(leaf.GetAttr("chain_pem").AsString(),
            leaf.GetAttr("cert_pem").AsString() + ca.GetAttr("cert_pem").AsString());
  EXPECT_EQ(leaf.GetAttr("validity_start_time"), Value::String("2027-01-15T08:00:00Z"));
  EXPECT_EQ(leaf.GetAttr("validity_end_time"), Value::String("2028-01-15T08:00:00Z"));  // default 8760 h
  EXPECT_EQ(leaf.GetAttr("key_algorithm"), Value::String("ECDSA_P256"));
  EXPECT_EQ(leaf.GetAttr("id"), leaf.GetAttr("serial"));
  auto leaf_cert = pki::ParseCertificates(leaf.GetAttr("cert_pem").AsString());
  auto ca_cert = pki::ParseCertificates(ca.GetAttr("cert_pem").AsString());
  ASSERT_TRUE(leaf_cert.ok() && ca_cert.ok());
  // The fixed clock is in the future, so verification at "now" would fail: check the signature chain only.
  EXPECT_EQ(X509_verify(leaf_cert->front().get(), X509_get0_pubkey(ca_cert->front().get())), 1);
}

TEST_F(CertificateTest, BadInputIsReportedOnTheAttribute) {
  EXPECT_EQ(ErrorPaths(Config({{"key_algorithm", Value::String("DSA_1024")},
                               {"allowed_uses", Value::StringList({"server_auth"})}})),
            std::vector<std::string>{"key_algorithm"});
  EXPECT_EQ(ErrorPaths(Config({{"allowed_uses", Value::StringList({"server_auth", "flying"})}})),
            std::vector<std::string>{"allowed_uses[1]"});
  EXPECT_EQ(ErrorPaths(Config({{"is_ca", Value::Bool(true)}, {"allowed_uses", Value::StringList({"server_auth"})}})),
            std::vector<std::string>{"allowed_uses"});
  EXPECT_EQ(ErrorPaths(Config({{"allowed_uses", Value::StringList({"server_auth"})},
                               {"ca_cert_pem", Value::String("garbage")},
                               {"ca_private_key_pem", Value::String("garbage")}})),
            (std::vector<std::string>{"ca_cert_pem", "ca_private_key_pem"}));
  EXPECT_EQ(ErrorPaths(Config({{"allowed_uses", Value::StringList({"server_auth"})},
                               {"validity_period_hours", Value::Int(10)},
                               {"early_renewal_hours", Value::Int(10)}})),
            std::vector<std::string>{"early_renewal_hours"});

  Value ca = Create(CaConfig());
  Value other = Create(CaConfig());
  Value leaf = Create(Config({{"allowed_uses", Value::StringList({"server_auth"})}}));
  // Key of another CA.
  EXPECT_EQ(ErrorPaths(Config({{"allowed_uses", Value::StringList({"server_auth"})},
                               {"ca_cert_pem", ca.GetAttr("cert_pem")},
                               {"ca_private_key_pem", other.GetAttr("private_key_pem")}})),
            std::vector<std::string>{"ca_private_key_pem"});
  // A leaf is not a CA.
  EXPECT_EQ(ErrorPaths(Config({{"allowed_uses", Value::StringList({"server_auth"})},
                               {"ca_cert_pem", leaf.GetAttr("cert_pem")},
                               {"ca_private_key_pem", leaf.GetAttr("private_key_pem")}})),
            std::vector<std::string>{"ca_cert_pem"});
  // Only one half of the CA pair.
  EXPECT_EQ(ErrorPaths(Config({{"allowed_uses", Value::StringList({"server_auth"})},
                               {"ca_cert_pem", ca.GetAttr("cert_pem")}})),
            std::vector<std::string>{"ca_private_key_pem"});
}

TEST_F(CertificateTest, SecretsNeverAppearInDiagnostics) {
  Value ca = Create(CaConfig());
  Value other = Create(CaConfig());
  value::Diagnostics diags;
  resource_->ValidateConfig(Config({{"allowed_uses", Value::StringList({"server_auth"})},
                                    {"ca_cert_pem", ca.GetAttr("cert_pem")},
                                    {"ca_private_key_pem", other.GetAttr("private_key_pem")}}),
                            diags);
  ASSERT_FALSE(diags.empty());
  const std::string key = other.GetAttr("private_key_pem").AsString();
  const std::string key_body = key.substr(key.find('\n') + 1, 40);
  for (const auto& d : diags.items()) {
    EXPECT_EQ(d.summary.find(key_body), std::string::npos);
    EXPECT_EQ(d.detail.find(key_body), std::string::npos);
  }
}

TEST_F(CertificateTest, RenewalWindowForcesReplacement) {
  Value config = Config({{"allowed_uses", Value::StringList({"server_auth"})},
                         {"validity_period_hours", Value::Int(100)},
                         {"early_renewal_hours", Value::Int(10)}});
  Value state = Create(config);
  EXPECT_EQ(state.GetAttr("ready_for_renewal"), Value::Bool(false));

  // 89 hours later: not yet.
  now_ += 89 * 3600;
  value::Diagnostics diags;
  Value refreshed = resource_->Read(Ctx(), state, diags);
  EXPECT_EQ(refreshed.GetAttr("ready_for_renewal"), Value::Bool(false));
  schema::PlannedChange plan = schema::PlanChange(*schema_, refreshed, refreshed, config);
  resource_->ModifyPlan(Ctx(), refreshed, config, plan, diags);
  EXPECT_TRUE(plan.requires_replace.empty());
  EXPECT_EQ(plan.planned, refreshed);

  // 90 hours: inside the window. Read reports it, and the plan replaces.
  now_ += 3600;
  refreshed = resource_->Read(Ctx(), state, diags);
  EXPECT_EQ(refreshed.GetAttr("ready_for_renewal"), Value::Bool(true));
  plan = schema::PlanChange(*schema_, refreshed, refreshed, config);
  resource_->ModifyPlan(Ctx(), refreshed, config, plan, diags);
  ASSERT_EQ(plan.requires_replace.size(), 1u);
  EXPECT_EQ(plan.requires_replace[0].ToString(), "ready_for_renewal");
  EXPECT_TRUE(plan.planned.GetAttr("ready_for_renewal").IsUnknown());

  // Even without a refresh (stale prior), the plan sees the clock.
  plan = schema::PlanChange(*schema_, state, state, config);
  resource_->ModifyPlan(Ctx(), state, config, plan, diags);
  EXPECT_EQ(plan.requires_replace.size(), 1u);
}

TEST_F(CertificateTest, AnyInputChangeReplaces) {
  Value config = Config({{"allowed_uses", Value::StringList({"server_auth"})}});
  Value state = Create(config);
  Value changed = config.WithAttr("dns_names", Value::StringList({"x.example"}));
  Value proposed = state.WithAttr("dns_names", Value::StringList({"x.example"}));
  schema::PlannedChange plan = schema::PlanChange(*schema_, state, proposed, changed);
  ASSERT_EQ(plan.requires_replace.size(), 1u);
  EXPECT_EQ(plan.requires_replace[0].ToString(), "dns_names");
  // A CA replaced: its cert_pem is unknown in the leaf's config, which replaces the leaf.
  Value unknown_ca = config.WithAttr("ca_cert_pem", Value::Unknown(Type::String()));
  plan = schema::PlanChange(*schema_, state, state.WithAttr("ca_cert_pem", Value::Unknown(Type::String())), unknown_ca);
  ASSERT_EQ(plan.requires_replace.size(), 1u);
  EXPECT_EQ(plan.requires_replace[0].ToString(), "ca_cert_pem");
}

}  // namespace
}  // namespace pgha::resources

namespace pgha::resources {
namespace {

TEST_F(CertificateTest, ValidityHoursAreBounded) {
  Value config = CaConfig();
  config = config.WithAttr("validity_period_hours", Value::Int(10'000'000'000));
  EXPECT_EQ(ErrorPaths(config), std::vector<std::string>{"validity_period_hours"});
}

}  // namespace
}  // namespace pgha::resources
