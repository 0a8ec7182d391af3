// MachineResource's planning, shared by the three cluster resources: the
// documents are rendered at plan time when every input is known, the machine
// defaults come from schemas/, and an unchanged configuration plans no change.
// (Its libvirt side, with a real daemon, is in machine_test.cc and the
// acceptance tests.)
#include "resources/machine_resource.h"

#include "resources/resource_test_support.h"

namespace pgha::resources {
namespace {

using value::Value;

constexpr const char* kMember = R"({
  "name": "etcd-1", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
  "network_interface": [{"network_name": "n", "ip": "10.0.0.11", "prefix_length": 24}],
  "cluster": {"is_initializing": true, "initial_token": "t", "initial_members": [{"name": "etcd-1", "ip": "10.0.0.11"}]},
  "authentication_bootstrap": {"bootstrap": true},
  "tls": {"ca_cert": "CA", "server_cert": "CERT", "server_key": "KEY", "peer_allowed_cn": "etcd-member"}})";

class MachineResourceTest : public ResourceTest {
 protected:
  const Resource& member() const { return Get("pgha_etcd_member"); }
};

TEST_F(MachineResourceTest, ThePlanShowsTheDocumentsAndTheSchemasMachineDefaults) {
  value::Diagnostics diags;
  auto plan = PlanCreate(member(), Config(member(), kMember), diags);
  ASSERT_FALSE(diags.HasError());
  const Value& p = plan.planned;
  ASSERT_TRUE(p.GetAttr("user_data").IsKnown());
  EXPECT_NE(FileIn(p.GetAttr("user_data").AsString(), "/etc/etcd/pgha.yml").find("name: \"etcd-1\""),
            std::string::npos);
  EXPECT_TRUE(p.GetAttr("user_data_digest").IsKnown());
  EXPECT_TRUE(p.GetAttr("id").IsUnknown());
  EXPECT_EQ(p.GetAttr("cloud_init_volume_name").AsString(), "etcd-1-cloud-init.iso");
  // Top-level defaults are planned (and so shown and stored).
  EXPECT_EQ(p.GetAttr("vcpus"), Value::Int(2));
  EXPECT_EQ(p.GetAttr("memory"), Value::Int(8192));
  EXPECT_EQ(p.GetAttr("running"), Value::Bool(true));
  EXPECT_EQ(p.GetAttr("autostart"), Value::Bool(true));
  EXPECT_EQ(p.GetAttr("domain_type"), Value::String("kvm"));
  EXPECT_EQ(p.GetAttr("apply_cloud_init_changes"), Value::String("live"));
  EXPECT_EQ(p.GetAttr("volume_format"), Value::String("qcow2"));
}

TEST_F(MachineResourceTest, AnInputKnownOnlyAfterApplyMakesTheDocumentsUnknown) {
  Value config = Config(member(), kMember);
  Value tls = config.GetAttr("tls").WithAttr("server_cert", Value::Unknown(value::Type::String()));
  config = config.WithAttr("tls", tls);
  value::Diagnostics diags;
  auto plan = PlanCreate(member(), config, diags);
  ASSERT_FALSE(diags.HasError());
  EXPECT_TRUE(plan.planned.GetAttr("user_data").IsUnknown());
  EXPECT_TRUE(plan.planned.GetAttr("user_data_digest").IsUnknown());
}

TEST_F(MachineResourceTest, AnUnchangedConfigurationPlansNoChange) {
  const Value config = Config(member(), kMember);
  value::Diagnostics diags;
  auto created = PlanCreate(member(), config, diags);
  // The state after apply: computed values filled in.
  Value state = created.planned.WithAttr("id", Value::String("8a4c4b36-0000-4000-8000-000000000001"));
  static const Cancellation cancel;
  const Context ctx{Value(), cancel, 0};
  // Terraform proposes the configured values with the prior computed ones: here, the state itself.
  schema::PlannedChange again = schema::PlanChange(member().schema(), state, state, config);
  member().ModifyPlan(ctx, state, config, again, diags);
  EXPECT_FALSE(diags.HasError());
  EXPECT_TRUE(again.planned == state) << again.planned.DebugString() << "\n" << state.DebugString();
  EXPECT_TRUE(again.requires_replace.empty());
}

TEST_F(MachineResourceTest, EachInterfaceNamesItsNetworkOneWay) {
  std::string both = kMember;
  both.replace(both.find(R"("network_name": "n")"), std::string(R"("network_name": "n")").size(),
               R"("network_name": "n", "network_id": "0b0e4e1c-0000-4000-8000-000000000000")");
  EXPECT_TRUE(Contains(Diagnose(member(), Config(member(), both)),
                       "Invalid combination in network_interface[0] @ network_interface[0].network_id"));
  std::string neither = kMember;
  neither.replace(neither.find(R"("network_name": "n", )"), std::string(R"("network_name": "n", )").size(), "");
  EXPECT_TRUE(Contains(Diagnose(member(), Config(member(), neither)),
                       "Invalid combination in network_interface[0] @ network_interface[0].network_name"));
  // Terraform sends an omitted list block as an empty list.
  std::string none = kMember;
  none.replace(none.find(R"("network_interface")"),
               std::string(R"("network_interface": [{"network_name": "n", "ip": "10.0.0.11", "prefix_length": 24}],)").size(),
               R"("network_interface": [], "macvtap_interface": [],)");
  EXPECT_TRUE(Contains(Diagnose(member(), Config(member(), none)), "No network interface @ network_interface"))
      << ::testing::PrintToString(Diagnose(member(), Config(member(), none)));
}

// Membership at plan time: a member of a new cluster is created with the members the user listed;
// a joining one with the members the running cluster lists at apply time, so its documents are
// known only then, and it needs a credential for etcd's root. Either way the list is kept for the
// member's life: editing initial_members later changes nothing in its documents.
TEST_F(MachineResourceTest, AJoiningMemberTakesItsMemberListFromTheClusterAtApplyTime) {
  value::Diagnostics diags;
  auto created = PlanCreate(member(), Config(member(), kMember), diags);
  ASSERT_FALSE(diags.HasError());
  EXPECT_EQ(created.planned.GetAttr("initial_cluster"), Value::String("etcd-1=https://10.0.0.11:2380"));
  EXPECT_EQ(created.planned.GetAttr("initial_cluster_state"), Value::String("new"));

  std::string joining = kMember;
  joining.replace(joining.find(R"("is_initializing": true)"), std::string(R"("is_initializing": true)").size(),
                  R"("is_initializing": false)");
  joining.replace(joining.find(R"("authentication_bootstrap": {"bootstrap": true})"),
                  std::string(R"("authentication_bootstrap": {"bootstrap": true})").size(),
                  R"("authentication_bootstrap": {"root_password": "s3cret"})");
  value::Diagnostics join_diags;
  auto join = PlanCreate(member(), Config(member(), joining), join_diags);
  EXPECT_FALSE(join_diags.HasError()) << ::testing::PrintToString(join_diags.items().size());
  EXPECT_TRUE(join.planned.GetAttr("initial_cluster").IsUnknown());
  EXPECT_EQ(join.planned.GetAttr("initial_cluster_state"), Value::String("existing"));
  EXPECT_TRUE(join.planned.GetAttr("user_data").IsUnknown());

  std::string no_credential = joining;
  no_credential.replace(no_credential.find(R"({"root_password": "s3cret"})"),
                        std::string(R"({"root_password": "s3cret"})").size(), "null");
  value::Diagnostics missing;
  PlanCreate(member(), Config(member(), no_credential), missing);
  bool named = false;
  for (const auto& d : missing.items()) {
    named |= d.severity == value::Diagnostic::Severity::kError && d.path && d.path->ToString() == "authentication_bootstrap.root_password" &&
             d.summary == "No credential for etcd's root";
  }
  EXPECT_TRUE(named);

  // Later plans keep the list the member was created with.
  Value state = created.planned.WithAttr("id", Value::String("8a4c4b36-0000-4000-8000-000000000001"));
  std::string more = kMember;
  more.replace(more.find(R"([{"name": "etcd-1", "ip": "10.0.0.11"}])"),
               std::string(R"([{"name": "etcd-1", "ip": "10.0.0.11"}])").size(),
               R"([{"name": "etcd-1", "ip": "10.0.0.11"}, {"name": "etcd-2", "ip": "10.0.0.12"}])");
  // ...and is_initializing turned off once the cluster runs, as members added later need.
  more.replace(more.find(R"("is_initializing": true)"), std::string(R"("is_initializing": true)").size(),
               R"("is_initializing": false)");
  const Value config = Config(member(), more);
  static const Cancellation cancel;
  const Context ctx{Value(), cancel, 0};
  schema::PlannedChange again = schema::PlanChange(member().schema(), state, config.WithAttr("id", state.GetAttr("id"))
                                                                                  .WithAttr("initial_cluster", state.GetAttr("initial_cluster"))
                                                                                  .WithAttr("initial_cluster_state", state.GetAttr("initial_cluster_state"))
                                                                                  .WithAttr("user_data", state.GetAttr("user_data"))
                                                                                  .WithAttr("user_data_digest", state.GetAttr("user_data_digest"))
                                                                                  .WithAttr("cloud_init_volume_name", state.GetAttr("cloud_init_volume_name")),
                                                   config);
  member().ModifyPlan(ctx, state, config, again, diags);
  EXPECT_EQ(again.planned.GetAttr("initial_cluster"), state.GetAttr("initial_cluster"));
  EXPECT_EQ(again.planned.GetAttr("user_data"), state.GetAttr("user_data"));
}

}  // namespace
}  // namespace pgha::resources
