// Debian's real qemu-ga, listening on a unix socket in a temporary
// directory: the agent and protocol a guest has, without a VM. Used by the
// agent, health and rolling unit tests.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/socket_channel.h"
#include "gtest/gtest.h"

extern char** environ;

namespace pgha::testing {

class RealAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pgha-qga-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string sock = (dir_ / "sock").string(), state = dir_.string(), pid = (dir_ / "pid").string();
    ASSERT_TRUE(std::filesystem::exists("/usr/sbin/qemu-ga"))
        << "qemu-ga is missing: scripts/install-deps installs qemu-guest-agent";
    std::vector<std::string> args = {"/usr/sbin/qemu-ga", "-m", "unix-listen", "-p", sock, "-t", state, "-f", pid};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&agent_pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    for (int i = 0; i < 200 && !std::filesystem::exists(sock); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(std::filesystem::exists(sock)) << "qemu-ga did not create its socket";
    channel_ = std::make_unique<agent::SocketChannel>(sock);
  }
  void TearDown() override {
    channel_.reset();
    if (agent_pid_ > 0) {
      // qemu-ga 7.2 can deadlock in its SIGTERM handling right after a guest-exec
      // (seen: a futex wait with SIGTERM blocked); it gets 2 s, then SIGKILL.
      kill(agent_pid_, SIGTERM);
      bool gone = false;
      for (int i = 0; i < 200 && !gone; ++i) {
        gone = waitpid(agent_pid_, nullptr, WNOHANG) == agent_pid_;
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!gone) {
        kill(agent_pid_, SIGKILL);
        waitpid(agent_pid_, nullptr, 0);
      }
    }
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  pid_t agent_pid_ = -1;
  std::unique_ptr<agent::SocketChannel> channel_;
};

}  // namespace pgha::testing
