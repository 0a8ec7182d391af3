// Typed operations on a guest through its QEMU agent: run a program with a
// deadline and bounded output, write a file atomically with owner and mode,
// read a small file. Secrets travel as the program's standard input or as
// file content, never as arguments: argv shows in the guest's process list
// and in the agent's log.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/channel.h"

namespace pgha::agent {

struct Command {
  // argv[0] is an absolute path; no shell is involved unless argv[0] is one.
  std::vector<std::string> argv;
  // Written to the program's standard input, then closed.
  std::string input;
  // The program is sent SIGTERM after this (SIGKILL 5 s later) inside the guest.
  std::chrono::seconds deadline{60};
  // Bytes kept of each of stdout and stderr; the rest is dropped and flagged.
  size_t max_output = 64 * 1024;
};

struct Outcome {
  int exit_code = 0;  // 128 + N when killed by signal N
  std::string out, err;
  bool truncated = false;
};

class GuestAgent {
 public:
  // `cancelled` (optional) ends a wait early with Cancelled.
  explicit GuestAgent(Channel& channel, std::function<bool()> cancelled = nullptr)
      : channel_(channel), cancelled_(std::move(cancelled)) {}

  // OK once the agent answers.
  absl::Status Ping(std::chrono::seconds timeout);
  // Runs the command and waits for it. DeadlineExceeded when it outlived its
  // deadline; a non-zero exit is an Outcome, not an error.
  absl::StatusOr<Outcome> Run(const Command& command);
  // Replaces `path` atomically (a temporary file in the same directory,
  // flushed, then renamed over it) with `content`, owned by `owner`
  // ("user:group") with `mode` ("0640"). The directory must exist.
  absl::Status WriteFile(const std::string& path, const std::string& content, const std::string& owner,
                         const std::string& mode);
  // Up to `max_bytes` of a file. NotFound when it does not exist.
  absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes = 1 << 20);

  const Channel& channel() const { return channel_; }

 private:
  // The `return` member of a command's reply, or the agent's error.
  absl::StatusOr<std::string> Execute(const std::string& command, std::chrono::seconds timeout);

  Channel& channel_;
  std::function<bool()> cancelled_;
};

// Standard base64, as the agent encodes input-data and out-data.
std::string EncodeBase64(std::string_view data);
absl::StatusOr<std::string> DecodeBase64(std::string_view text);

}  // namespace pgha::agent
