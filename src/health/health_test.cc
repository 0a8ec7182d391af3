// The probe's verdicts on real services are checked in the services tier
// (test_services.py runs templates/agent/probe.py in each node). Here: the
// report's parsing, and the probe and the wait through a real qemu-ga on
// this machine, where no pgha service runs.
#include "health/health.h"

#include <unistd.h>

#include <filesystem>

#include "agent/socket_channel.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "support/real_agent.h"

namespace pgha::health {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

TEST(ParseReport, ReadsAPatroniReplica) {
  auto h = ParseReport(R"({"role_kind": "patroni", "healthy": true, "cluster_healthy": true, "role": "sync_standby", "lag_bytes": 0,
      "timeline": 3, "member_names": ["pg-1", "pg-2"], "cloud_init": {"stage": null, "done": true, "errors": []},
      "unit": {"state": "active/running", "restarts": 0, "journal": ["a", "b"]}})");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->healthy);
  EXPECT_TRUE(h->cluster_healthy);
  EXPECT_EQ(h->member_names, (std::vector<std::string>{"pg-1", "pg-2"}));
  EXPECT_EQ(h->role, "sync_standby");
  EXPECT_EQ(h->lag_bytes, 0);
  EXPECT_EQ(h->timeline, 3);
  EXPECT_TRUE(h->cloud_init_done);
  EXPECT_EQ(h->journal.size(), 2u);
}

TEST(ParseReport, TakesTheLastLineAndDescribesAnUnhealthyEtcd) {
  auto h = ParseReport("noise\n{\"healthy\": false, \"problem\": \"etcd does not answer\", \"is_leader\": false,"
                       "\"cloud_init\": {\"stage\": \"modules-final\", \"done\": false, \"errors\": [\"boom\"],"
                       "\"output\": [\"pgha-wait-etcd-auth: waiting; 10.0.0.11:2379: HTTP 400: auth failed\"]},"
                       "\"unit\": {\"state\": \"activating/start\", \"restarts\": 2, \"journal\": [\"waiting\"]}}\n");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->healthy);
  EXPECT_EQ(h->is_leader, false);
  const std::string text = h->Describe();
  for (const char* part : {"etcd does not answer", "modules-final", "boom", "cloud-init output: pgha-wait-etcd-auth",
                           "HTTP 400: auth failed", "activating/start", "restarted 2 times", "waiting"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << " missing from:\n" << text;
  }
}

// A reboot under a new instance-id runs cloud-init's commands again, and they restart the service
// minutes into the boot: healthy before then is not yet settled.
TEST(ParseReport, TheBootIsFinishedWhenCloudInitIsDoneOrDoesNotRun) {
  const auto with = [](const char* cloud_init) {
    auto h = ParseReport(pgha::StrCat(R"({"healthy": true, "cloud_init": )", cloud_init, "}"));
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() && h->BootFinished();
  };
  EXPECT_FALSE(with(R"({"stage": "modules-final", "done": false, "errors": []})"));
  EXPECT_FALSE(with(R"({"stage": "between stages", "done": false, "errors": []})"));
  EXPECT_TRUE(with(R"({"stage": "done", "done": true, "errors": ["a failed module still ends the boot"]})"));
  EXPECT_TRUE(with(R"({"stage": "not started", "done": false, "errors": []})"));
}

TEST(ParseReport, RefusesSomethingElse) {
  EXPECT_FALSE(ParseReport("Traceback (most recent call last):").ok());
  EXPECT_FALSE(ParseReport("").ok());
}

using ProbeOnThisMachine = pgha::testing::RealAgentTest;

TEST_F(ProbeOnThisMachine, ReportsWhatItSawWhenNoServiceRuns) {
  agent::GuestAgent agent(*channel_);
  // No pgha configuration here: the etcd probe cannot read /etc/etcd/pgha.yml.
  auto h = Probe(agent, Service::kEtcd);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->healthy);
  EXPECT_FALSE(h->problem.empty());
  EXPECT_FALSE(h->unit_state.empty());
}

TEST_F(ProbeOnThisMachine, TheWaitEndsAtItsTimeoutSayingWhatItLastSaw) {
  agent::GuestAgent agent(*channel_);
  auto h = WaitHealthy(agent, Service::kHaproxy, {.timeout = seconds(2), .interval = seconds(1)});
  EXPECT_EQ(h.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(h.status().message().find("last seen"), std::string::npos) << h.status();
  EXPECT_NE(h.status().message().find("stats socket"), std::string::npos) << h.status();
}

TEST_F(ProbeOnThisMachine, TheWaitStopsWhenCancelled) {
  agent::GuestAgent agent(*channel_);
  auto h = WaitHealthy(agent, Service::kPatroni, {.timeout = seconds(600), .interval = seconds(1), .cancelled = [] { return true; }});
  EXPECT_EQ(h.status().code(), absl::StatusCode::kCancelled);
}

TEST(WaitHealthy, AnAgentThatNeverAnswersIsNamedWithTheFix) {
  agent::SocketChannel nowhere("/nonexistent/pgha-agent.sock");
  agent::GuestAgent agent(nowhere);
  auto h = WaitHealthy(agent, Service::kEtcd, {.timeout = seconds(1), .interval = seconds(1)});
  EXPECT_EQ(h.status().code(), absl::StatusCode::kDeadlineExceeded);
  for (const char* part : {"never answered", "qemu-guest-agent", "install_dependencies", "wait_for_healthy"}) {
    EXPECT_NE(h.status().message().find(part), std::string::npos) << part << " missing from " << h.status();
  }
}

}  // namespace
}  // namespace pgha::health
