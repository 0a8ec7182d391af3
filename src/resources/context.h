// What every resource call receives from the provider: the configured
// provider block, the clock, and the cancellation StopProvider triggers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>

#include "value/value.h"

namespace pgha::resources {

// Set once by StopProvider; long operations poll it or wait on it.
class Cancellation {
 public:
  void Cancel();
  bool cancelled() const { return cancelled_.load(); }
  // Sleeps up to `timeout`; returns true if cancelled meanwhile.
  bool WaitFor(std::chrono::milliseconds timeout) const;

 private:
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
};

struct Context {
  // A copy, taken under the provider's lock: ConfigureProvider may replace the
  // provider's own while a long apply still reads this one.
  value::Value provider_config;
  const Cancellation& cancel;
  std::time_t now;
};

}  // namespace pgha::resources
