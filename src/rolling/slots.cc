#include "rolling/slots.h"

#include <algorithm>

#include "base/strings.h"

namespace pgha::rolling {

using Clock = std::chrono::steady_clock;

ClusterSlots& ClusterSlots::Process() {
  static auto* slots = new ClusterSlots();
  return *slots;
}

ClusterSlots::Hold::~Hold() {
  if (slots_ != nullptr) slots_->Release(cluster_);
}

void ClusterSlots::MarkLeaving(const std::string& cluster, const std::string& member) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& leaving = clusters_[cluster].leaving;
  if (std::find(leaving.begin(), leaving.end(), member) == leaving.end()) leaving.push_back(member);
}

void ClusterSlots::MarkArriving(const std::string& cluster, const std::string& member) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& leaving = clusters_[cluster].leaving;
  leaving.erase(std::remove(leaving.begin(), leaving.end(), member), leaving.end());
}

std::vector<std::string> ClusterSlots::Leaving(const std::string& cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  return clusters_[cluster].leaving;
}

void ClusterSlots::Release(const std::string& cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  Cluster& c = clusters_[cluster];
  c.holder.clear();
  c.free_since = Clock::now();
  changed_.notify_all();
}

absl::StatusOr<ClusterSlots::Hold> ClusterSlots::Acquire(const std::string& cluster, const std::string& member,
                                                          bool leader, Clock::time_point deadline,
                                                          const std::function<bool()>& cancelled) {
  std::unique_lock<std::mutex> lock(mu_);
  auto [it, inserted] = clusters_.try_emplace(cluster);
  Cluster& c = it->second;
  if (inserted) c.free_since = Clock::now();
  if (!leader) ++c.waiting_members;
  for (;;) {
    const auto now = Clock::now();
    if (c.holder.empty()) {
      const bool members_first = leader && (c.waiting_members > 0 || now - c.free_since < leader_settle_);
      if (!members_first) {
        if (!leader) --c.waiting_members;
        c.holder = member;
        return Hold(this, cluster);
      }
    }
    if (cancelled && cancelled()) {
      if (!leader) --c.waiting_members;
      return absl::CancelledError(pgha::StrCat("cancelled while waiting for ", c.holder.empty() ? "the other members" : c.holder,
                                               " to finish its step"));
    }
    if (now >= deadline) {
      if (!leader) --c.waiting_members;
      return absl::DeadlineExceededError(pgha::StrCat(
          "timed out waiting for its turn: ", c.holder.empty() ? std::string("other members of the cluster") : c.holder,
          " was still being changed (pgha changes one member of a cluster at a time)"));
    }
    // Short waits: cancellation is polled, and a leader re-checks its settle time.
    changed_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(200)));
  }
}

}  // namespace pgha::rolling
