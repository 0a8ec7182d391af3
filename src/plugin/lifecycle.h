// The process's one shutdown signal: set by GRPCController.Shutdown,
// SIGTERM, or the host going away; everything that blocks waits on it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace pgha::plugin {

class Lifecycle {
 public:
  void RequestShutdown();
  bool shutdown_requested() const;
  // Returns true once shutdown is requested, false when the timeout passes first.
  bool WaitForShutdown(std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool shutdown_ = false;
};

}  // namespace pgha::plugin
