// How a command reaches a guest's QEMU agent. Production goes through
// libvirt (LibvirtChannel); a qemu-ga listening on a unix socket
// (SocketChannel) serves the tests and any agent reachable that way.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"

namespace pgha::agent {

class Channel {
 public:
  virtual ~Channel() = default;
  // Sends one agent command (a JSON object) and returns the reply's text.
  // Unavailable while the agent is not there yet (booting, not installed).
  virtual absl::StatusOr<std::string> Call(const std::string& command, std::chrono::seconds timeout) = 0;
  // Where the agent is, for messages: "VM pgha-etcd-1 (qemu:///system)".
  virtual std::string Describe() const = 0;
};

}  // namespace pgha::agent
