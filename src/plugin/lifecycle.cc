#include "plugin/lifecycle.h"

namespace pgha::plugin {

void Lifecycle::RequestShutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

bool Lifecycle::shutdown_requested() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutdown_;
}

bool Lifecycle::WaitForShutdown(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return shutdown_; });
}

}  // namespace pgha::plugin
