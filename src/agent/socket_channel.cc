#include "agent/socket_channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"
#include "nlohmann/json.hpp"

namespace pgha::agent {
namespace {

constexpr size_t kMaxReply = 64u << 20;

}  // namespace

SocketChannel::~SocketChannel() {
  if (fd_ >= 0) close(fd_);
}

absl::Status SocketChannel::Send(const std::string& line) {
  size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(pgha::StrCat("writing to ", path_, ": ", std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SocketChannel::ReadLine(std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::UnavailableError(pgha::StrCat(path_, " did not answer in time"));
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(pgha::StrCat(path_, " closed the connection"));
    buffered_.append(chunk, static_cast<size_t>(n));
    if (buffered_.size() > kMaxReply) return absl::ResourceExhaustedError("the agent's reply is too large");
  }
}

absl::Status SocketChannel::Connect(std::chrono::seconds timeout) {
  if (fd_ >= 0) return absl::OkStatus();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) return absl::InvalidArgumentError("socket path too long");
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string error = std::strerror(errno);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return absl::UnavailableError(pgha::StrCat("connecting to ", path_, ": ", error));
  }
  // guest-sync with a fresh id: whatever an earlier client left unread is
  // skipped until the agent echoes this id, as libvirt does on its channel.
  const uint64_t id = next_sync_id_++;
  if (auto s = Send(nlohmann::json{{"execute", "guest-sync"}, {"arguments", {{"id", id}}}}.dump() + "\n"); !s.ok()) {
    return s;
  }
  for (;;) {
    auto line = ReadLine(timeout);
    if (!line.ok()) return line.status();
    auto reply = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
    if (reply.is_object() && reply.contains("return") && reply["return"] == id) return absl::OkStatus();
  }
}

absl::StatusOr<std::string> SocketChannel::Call(const std::string& command, std::chrono::seconds timeout) {
  if (auto s = Connect(timeout); !s.ok()) return s;
  if (auto s = Send(command + "\n"); !s.ok()) return s;
  auto line = ReadLine(timeout);
  if (!line.ok()) {
    close(fd_);  // the next call resynchronises
    fd_ = -1;
    buffered_.clear();
  }
  return line;
}

}  // namespace pgha::agent
