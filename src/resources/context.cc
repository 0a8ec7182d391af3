#include "resources/context.h"

namespace pgha::resources {

void Cancellation::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_.store(true);
  }
  cv_.notify_all();
}

bool Cancellation::WaitFor(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return cancelled_.load(); });
}

}  // namespace pgha::resources
