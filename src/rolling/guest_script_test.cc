// The rolling scripts through the real qemu-ga on this machine, where no
// Patroni runs: what pgha makes of their answers when a node is not what
// they need. Their work on a real cluster is tested in the services tier
// (test_services.py runs them in each node) and the VM tier.
#include "rolling/guest_script.h"

#include "gtest/gtest.h"
#include "rolling/patroni_config.h"
#include "rolling/switchover.h"
#include "support/real_agent.h"

namespace pgha::rolling {
namespace {

using std::chrono::seconds;
using GuestScripts = pgha::testing::RealAgentTest;

TEST_F(GuestScripts, RunGuestScriptReturnsTheLastJsonObjectPrinted) {
  agent::GuestAgent agent(*channel_);
  auto j = RunGuestScript(agent, "agent/probe.py", {"haproxy"}, seconds(60));
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->value("role_kind", ""), "haproxy");
  EXPECT_FALSE(j->value("healthy", true));
}

TEST(GuestScriptAnswer, AStringFieldThatIsNullOrANumberOrMissingIsTheFallback) {
  const auto j = nlohmann::json::parse(R"({"scope": null, "reason": 7, "to": "pg-2"})");
  EXPECT_EQ(StringField(j, "to"), "pg-2");
  EXPECT_EQ(StringField(j, "scope"), "");
  EXPECT_EQ(StringField(j, "reason", "no reason given"), "no reason given");
  EXPECT_EQ(StringField(j, "missing", "x"), "x");
}

TEST_F(GuestScripts, AnUnknownScriptIsAnError) {
  agent::GuestAgent agent(*channel_);
  EXPECT_FALSE(RunGuestScript(agent, "agent/nope.py", {}, seconds(10)).ok());
}

TEST_F(GuestScripts, ASwitchoverWithoutPatroniFailsAndSaysWhy) {
  agent::GuestAgent agent(*channel_);
  auto moved = SwitchoverFrom(agent, seconds(5));
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kFailedPrecondition) << moved.status();
  EXPECT_NE(moved.status().message().find("/etc/patroni/config.yml"), std::string::npos) << moved.status();
}

TEST_F(GuestScripts, ASwitchoverPlanWithoutPatroniFailsAndSaysWhy) {
  agent::GuestAgent agent(*channel_);
  auto plan = PlanSwitchover(agent);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition) << plan.status();
  EXPECT_NE(plan.status().message().find("/etc/patroni/config.yml"), std::string::npos) << plan.status();
}

TEST_F(GuestScripts, TheCascadeScriptIsShippedAndChangesNothingWithoutPatroni) {
  agent::GuestAgent agent(*channel_);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"clear"}, std::vector<std::string>{"follow", "pg-2", "5", "/service/", "main"}}) {
    auto said = RunGuestScript(agent, "agent/cascade.py", args, seconds(60));
    ASSERT_TRUE(said.ok()) << said.status();
    EXPECT_EQ(said->value("result", ""), "failed") << said->dump();
    EXPECT_NE(said->value("reason", "").find("/etc/patroni/config.yml"), std::string::npos) << said->dump();
  }
  // A name that could be read as an option or a path is refused before anything is read.
  auto odd = RunGuestScript(agent, "agent/cascade.py", {"follow", "--x", "5", "/service/", "main"}, seconds(60));
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(odd->value("result", ""), "skipped") << odd->dump();
}

TEST_F(GuestScripts, DynamicConfigurationWithoutPatroniFailsAndSaysWhy) {
  agent::GuestAgent agent(*channel_);
  auto synced = SyncDynamicConfig(agent);
  EXPECT_EQ(synced.status().code(), absl::StatusCode::kFailedPrecondition) << synced.status();
  EXPECT_NE(synced.status().message().find("/etc/patroni/config.yml"), std::string::npos) << synced.status();
  EXPECT_FALSE(PendingRestart(agent, seconds(1)).ok());
  EXPECT_FALSE(RestartPending(agent).ok());
}

}  // namespace
}  // namespace pgha::rolling
