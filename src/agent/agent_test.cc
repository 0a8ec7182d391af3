// The real QEMU guest agent (Debian's qemu-ga 7.2), listening on a unix
// socket instead of a virtio-serial port: the protocol and the programs it
// runs are the ones a guest has. The libvirt path is exercised on real VMs
// by the VM tier (test/acceptance/test_vm_cluster.py).
#include "agent/agent.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "support/real_agent.h"

namespace pgha::agent {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

using RealAgent = pgha::testing::RealAgentTest;

TEST_F(RealAgent, AnswersPing) {
  GuestAgent agent(*channel_);
  EXPECT_TRUE(agent.Ping(seconds(5)).ok());
}

TEST_F(RealAgent, RunsAProgramWithInputAndCollectsItsOutputAndExitCode) {
  GuestAgent agent(*channel_);
  auto out = agent.Run({.argv = {"/bin/sh", "-c", "cat; echo oops >&2; exit 3"}, .input = "secret\n"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->exit_code, 3);
  EXPECT_EQ(out->out, "secret\n");
  EXPECT_EQ(out->err, "oops\n");
  EXPECT_FALSE(out->truncated);
}

TEST_F(RealAgent, BoundsTheOutputItKeeps) {
  GuestAgent agent(*channel_);
  auto out = agent.Run({.argv = {"/usr/bin/head", "-c", "100000", "/dev/zero"}, .max_output = 1000});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->out.size(), 1000u);
  EXPECT_TRUE(out->truncated);
}

TEST_F(RealAgent, StopsAProgramAtItsDeadline) {
  GuestAgent agent(*channel_);
  const auto started = std::chrono::steady_clock::now();
  auto out = agent.Run({.argv = {"/bin/sleep", "60"}, .deadline = seconds(1)});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded) << out.status();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(20));
}

TEST_F(RealAgent, RefusesARelativeProgram) {
  GuestAgent agent(*channel_);
  EXPECT_EQ(agent.Run({.argv = {"sh"}}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RealAgent, WritesAFileAtomicallyWithItsModeAndReadsItBack) {
  GuestAgent agent(*channel_);
  const std::string path = (dir_ / "conf 'with' $pace").string();  // a name no shell may interpret
  const std::string owner = std::to_string(getuid()) + ":" + std::to_string(getgid());
  ASSERT_TRUE(agent.WriteFile(path, "first\n", owner, "0640").ok());
  std::string binary(300, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i);
  auto written = agent.WriteFile(path, binary, owner, "0600");
  ASSERT_TRUE(written.ok()) << written;
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  auto back = agent.ReadFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, binary);
  // No temporary file is left beside it.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) entries += e.path().filename().string().rfind("conf", 0) == 0;
  EXPECT_EQ(entries, 1);
}

TEST_F(RealAgent, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  GuestAgent agent(*channel_);
  const std::string path = (dir_ / "kept").string();
  const std::string owner = std::to_string(getuid()) + ":" + std::to_string(getgid());
  ASSERT_TRUE(agent.WriteFile(path, "old\n", owner, "0644").ok());
  auto bad = agent.WriteFile(path, "new\n", owner, "not-a-mode");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(*agent.ReadFile(path), "old\n");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) entries += e.path().filename().string().rfind("kept", 0) == 0;
  EXPECT_EQ(entries, 1);
}

TEST_F(RealAgent, AMissingFileIsNotFound) {
  GuestAgent agent(*channel_);
  EXPECT_EQ(agent.ReadFile((dir_ / "absent").string()).status().code(), absl::StatusCode::kNotFound);
}

TEST(Base64, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 20; ++i) {
    auto back = DecodeBase64(EncodeBase64(data));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, data);
    data.push_back(static_cast<char>(i * 37));
  }
  EXPECT_FALSE(DecodeBase64("abc").ok());
  EXPECT_FALSE(DecodeBase64("ab!=").ok());
  EXPECT_EQ(EncodeBase64("\xff\xfe"), "//4=");  // the standard alphabet, padded
}

}  // namespace
}  // namespace pgha::agent
