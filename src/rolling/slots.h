// One disruptive step per cluster at a time. Terraform sends every resource
// of one provider configuration to one provider process and applies
// independent resources concurrently, so the process is where the steps of
// one apply meet: a member that stops, reboots, restarts its service or is
// rebuilt holds its cluster's slot from before it goes down until it is
// healthy again. Leaders go last: while another member of the cluster waits,
// a leader's step waits too (CloudNativePG's and autobase's order).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pgha::rolling {

class ClusterSlots {
 public:
  // How long a leader's step lets the slot sit free before taking it, so
  // that members whose steps start at the same moment get in line first.
  explicit ClusterSlots(std::chrono::milliseconds leader_settle = std::chrono::seconds(3))
      : leader_settle_(leader_settle) {}

  // The slots of this provider process.
  static ClusterSlots& Process();

  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept : slots_(other.slots_), cluster_(std::move(other.cluster_)) { other.slots_ = nullptr; }
    Hold& operator=(Hold&&) = delete;
    ~Hold();

   private:
    friend class ClusterSlots;
    Hold(ClusterSlots* slots, std::string cluster) : slots_(slots), cluster_(std::move(cluster)) {}
    ClusterSlots* slots_ = nullptr;
    std::string cluster_;
  };

  // A member whose create, update or delete is under way in this process:
  // while another member of its cluster is present, a leader's step waits,
  // so that within one apply the leader goes last even when the other
  // members reach their own steps minutes later (files to write, services to
  // reload, a health wait first). Leaves when the token ends.
  class Presence {
   public:
    Presence() = default;
    Presence(Presence&& other) noexcept
        : slots_(other.slots_), cluster_(std::move(other.cluster_)), member_(std::move(other.member_)) {
      other.slots_ = nullptr;
    }
    Presence& operator=(Presence&&) = delete;
    ~Presence();

   private:
    friend class ClusterSlots;
    Presence(ClusterSlots* slots, std::string cluster, std::string member)
        : slots_(slots), cluster_(std::move(cluster)), member_(std::move(member)) {}
    ClusterSlots* slots_ = nullptr;
    std::string cluster_, member_;
  };
  Presence Arrive(const std::string& cluster, const std::string& member);

  // Members of a cluster that this process is deleting (a destroy or a
  // replacement): a switchover never hands over to one of them.
  void MarkLeaving(const std::string& cluster, const std::string& member);
  std::vector<std::string> Leaving(const std::string& cluster);
  // The member is created again (the second half of a replacement): a candidate again.
  void MarkArriving(const std::string& cluster, const std::string& member);

  // Plan time: records that the plan destroys `member` and returns every member of the cluster
  // that plans so far destroy, so a plan that removes too many at once is refused as a whole
  // before anything changes. Terraform starts a provider per walk; the expiry only guards a
  // process that would serve several plans.
  std::vector<std::string> PlanLeaving(const std::string& cluster, const std::string& member);

  // A member being replaced (Terraform deletes it, then creates it again)
  // keeps the slot from one half to the other: Delete parks its hold for the
  // member's return and Create claims it, keeping it until the new member is
  // healthy, so no other member of the cluster goes down in between. A park
  // nobody claims within `wait` is released (the member was removed for good).
  void Park(Hold hold, const std::string& member, std::chrono::steady_clock::duration wait);
  // The hold parked for `member`, if there is one (and it has not expired).
  std::optional<Hold> Claim(const std::string& cluster, const std::string& member);

  // Waits for the cluster's slot. Cancelled when `cancelled` turns true,
  // DeadlineExceeded at `deadline`; the message says what held it.
  absl::StatusOr<Hold> Acquire(const std::string& cluster, const std::string& member, bool leader,
                               std::chrono::steady_clock::time_point deadline,
                               const std::function<bool()>& cancelled = nullptr);

 private:
  struct Cluster {
    std::string holder;  // empty: free
    int waiting_members = 0;
    std::chrono::steady_clock::time_point free_since;
    std::vector<std::string> leaving;
    std::map<std::string, int> present;  // member -> operations under way
    std::string parked_for;  // non-empty: the holder is gone, its slot kept for this member's return
    std::chrono::steady_clock::time_point parked_until;
    std::map<std::string, std::chrono::steady_clock::time_point> planned_leaving;  // member -> when planned
  };
  void Release(const std::string& cluster);
  void Leave(const std::string& cluster, const std::string& member);
  // Lets go of a park nobody claimed in time. Called with mu_ held.
  void ExpireParkLocked(Cluster& c, std::chrono::steady_clock::time_point now);

  const std::chrono::milliseconds leader_settle_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Cluster> clusters_;
};

}  // namespace pgha::rolling
