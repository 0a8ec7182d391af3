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

ClusterSlots::Presence::~Presence() {
  if (slots_ != nullptr) slots_->Leave(cluster_, member_);
}

ClusterSlots::Presence ClusterSlots::Arrive(const std::string& cluster, const std::string& member) {
  std::lock_guard<std::mutex> lock(mu_);
  ++clusters_[cluster].present[member];
  return Presence(this, cluster, member);
}

void ClusterSlots::Leave(const std::string& cluster, const std::string& member) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& present = clusters_[cluster].present;
  if (--present[member] <= 0) present.erase(member);
  changed_.notify_all();
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

std::vector<std::string> ClusterSlots::PlanLeaving(const std::string& cluster, const std::string& member) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& planned = clusters_[cluster].planned_leaving;
  const auto now = Clock::now();
  std::erase_if(planned, [&](const auto& e) { return now - e.second > std::chrono::minutes(10); });
  planned[member] = now;
  std::vector<std::string> out;
  for (const auto& [name, when] : planned) out.push_back(name);
  return out;
}

std::vector<std::string> ClusterSlots::Leaving(const std::string& cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  return clusters_[cluster].leaving;
}

void ClusterSlots::Release(const std::string& cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  Cluster& c = clusters_[cluster];
  c.holder.clear();
  c.parked_for.clear();
  c.free_since = Clock::now();
  changed_.notify_all();
}

void ClusterSlots::Park(Hold hold, const std::string& member, Clock::duration wait) {
  if (hold.slots_ != this) return;  // an empty hold: nothing to keep
  std::lock_guard<std::mutex> lock(mu_);
  Cluster& c = clusters_[hold.cluster_];
  c.parked_for = member;
  c.parked_until = Clock::now() + wait;
  hold.slots_ = nullptr;  // the slot stays taken past this hold
}

std::optional<ClusterSlots::Hold> ClusterSlots::Claim(const std::string& cluster, const std::string& member) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clusters_.find(cluster);
  if (it == clusters_.end()) return std::nullopt;
  Cluster& c = it->second;
  ExpireParkLocked(c, Clock::now());
  if (c.parked_for.empty() || c.parked_for != member) return std::nullopt;
  c.parked_for.clear();
  c.holder = member;
  return Hold(this, cluster);
}

void ClusterSlots::ExpireParkLocked(Cluster& c, Clock::time_point now) {
  if (c.parked_for.empty() || now < c.parked_until) return;
  c.parked_for.clear();
  c.holder.clear();
  c.free_since = now;
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
    ExpireParkLocked(c, now);
    if (c.holder.empty()) {
      const bool others_present = std::any_of(c.present.begin(), c.present.end(),
                                              [&](const auto& p) { return p.first != member && p.second > 0; });
      const bool members_first =
          leader && (c.waiting_members > 0 || others_present || now - c.free_since < leader_settle_);
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
          "timed out waiting for its turn: ", c.holder.empty() ? std::string("other members of the cluster (a leader goes last)") : c.holder,
          c.parked_for.empty() ? " was still being changed" : " was being replaced",
          " (pgha changes one member of a cluster at a time)"));
    }
    // Short waits: cancellation is polled, and a leader re-checks its settle time.
    changed_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(200)));
  }
}

}  // namespace pgha::rolling
