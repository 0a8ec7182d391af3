// A qemu-ga listening on a unix socket (`qemu-ga -m unix-listen -p PATH`):
// the same agent and protocol as in a guest, without a VM. The unit tests
// run the real agent this way.
#pragma once

#include <string>

#include "agent/channel.h"

namespace pgha::agent {

class SocketChannel final : public Channel {
 public:
  explicit SocketChannel(std::string path) : path_(std::move(path)) {}
  ~SocketChannel() override;
  SocketChannel(const SocketChannel&) = delete;
  SocketChannel& operator=(const SocketChannel&) = delete;

  absl::StatusOr<std::string> Call(const std::string& command, std::chrono::seconds timeout) override;
  std::string Describe() const override { return "the guest agent at " + path_; }

 private:
  absl::Status Connect(std::chrono::seconds timeout);
  absl::Status Send(const std::string& line);
  // One reply line, waiting at most `timeout`.
  absl::StatusOr<std::string> ReadLine(std::chrono::seconds timeout);

  std::string path_;
  int fd_ = -1;
  std::string buffered_;
  uint64_t next_sync_id_ = 1;
};

}  // namespace pgha::agent
