// The probe's verdicts on real services are checked in the services tier
// (test_services.py runs templates/agent/probe.py in each node). Here: the
// report's parsing, and the probe and the wait through a real qemu-ga on
// this machine, where no pgha service runs.
#include "health/health.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "agent/socket_channel.h"
#include "gtest/gtest.h"

extern char** environ;

namespace pgha::health {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

TEST(ParseReport, ReadsAPatroniReplica) {
  auto h = ParseReport(R"({"role_kind": "patroni", "healthy": true, "role": "sync_standby", "lag_bytes": 0,
      "timeline": 3, "cloud_init": {"stage": null, "done": true, "errors": []},
      "unit": {"state": "active/running", "restarts": 0, "journal": ["a", "b"]}})");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->healthy);
  EXPECT_EQ(h->role, "sync_standby");
  EXPECT_EQ(h->lag_bytes, 0);
  EXPECT_EQ(h->timeline, 3);
  EXPECT_TRUE(h->cloud_init_done);
  EXPECT_EQ(h->journal.size(), 2u);
}

TEST(ParseReport, TakesTheLastLineAndDescribesAnUnhealthyEtcd) {
  auto h = ParseReport("noise\n{\"healthy\": false, \"problem\": \"etcd does not answer\", \"is_leader\": false,"
                       "\"cloud_init\": {\"stage\": \"modules-final\", \"done\": false, \"errors\": [\"boom\"]},"
                       "\"unit\": {\"state\": \"activating/start\", \"restarts\": 2, \"journal\": [\"waiting\"]}}\n");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->healthy);
  EXPECT_EQ(h->is_leader, false);
  const std::string text = h->Describe();
  for (const char* part : {"etcd does not answer", "modules-final", "boom", "activating/start", "restarted 2 times", "waiting"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << " missing from:\n" << text;
  }
}

TEST(ParseReport, RefusesSomethingElse) {
  EXPECT_FALSE(ParseReport("Traceback (most recent call last):").ok());
  EXPECT_FALSE(ParseReport("").ok());
}

class ProbeOnThisMachine : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pgha-probe-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    const std::string sock = (dir_ / "sock").string(), state = dir_.string(), pid = (dir_ / "pid").string();
    ASSERT_TRUE(fs::exists("/usr/sbin/qemu-ga")) << "qemu-ga is missing: scripts/install-deps installs qemu-guest-agent";
    std::vector<std::string> args = {"/usr/sbin/qemu-ga", "-m", "unix-listen", "-p", sock, "-t", state, "-f", pid};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    for (int i = 0; i < 200 && !fs::exists(sock); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    channel_ = std::make_unique<agent::SocketChannel>(sock);
  }
  void TearDown() override {
    channel_.reset();
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    fs::remove_all(dir_);
  }
  fs::path dir_;
  pid_t pid_ = -1;
  std::unique_ptr<agent::SocketChannel> channel_;
};

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
