// Changing an etcd cluster's membership without losing its quorum, the way
// etcd's runtime-reconfiguration guide orders it: one member at a time; a
// new member joins as a learner (it cannot vote, so it cannot cost the
// quorum while it catches up) and is promoted once in sync; a member leaves
// only if the members that stay are a healthy quorum, and a leader hands
// its leadership to a healthy voter first. Every step is safe to repeat
// after a crash: a member already added, promoted or gone is found as such.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/client.h"

namespace pgha::etcd {

using Deadline = std::chrono::steady_clock::time_point;
using Cancelled = std::function<bool()>;

// The member with this peer URL.
std::optional<Member> FindByPeerUrl(const std::vector<Member>& members, const std::string& peer_url);

// "name=peerURL,..." for a joining member's initial-cluster: every member
// of `members`, the one joining (`name` at `peer_url`) under its own name.
std::string InitialCluster(const std::vector<Member>& members, const std::string& name, const std::string& peer_url);

// Adds `peer_url` as a learner, or finds it already there (a retry). While
// another learner is still catching up (etcd 3.4 allows one) it waits.
absl::StatusOr<Client::Added> JoinAsLearner(Client& client, const std::string& peer_url, Deadline deadline,
                                            const Cancelled& cancelled);

// Waits until the learner has started and caught up with the leader, then
// promotes it to a voting member. Done at once if it votes already.
absl::Status PromoteWhenInSync(Client& client, const std::string& peer_url, Deadline deadline,
                               const Cancelled& cancelled);

// A majority of `voters`: how many must agree for etcd to commit anything.
int Quorum(int voters);

// Whether `voters - removing` voting members are still a quorum of the
// `voters` there were. The one rule behind every removal check.
bool KeepsQuorum(int voters, int removing);

// Whether removing `removing` voting members of the cluster, all at once,
// keeps a quorum of the cluster as it is now (FailedPrecondition saying why
// not). Learners and members that are already gone do not count.
absl::Status CheckRemovals(const std::vector<Member>& members, const std::vector<std::string>& peer_urls);

// The leaving member's etcd, for a caller that can reach it (pgha's own VMs,
// through the guest agent). A member removed while it serves clients shuts
// itself down under them, and for a moment its gateway answers with odd
// errors (seen: Patroni's lease keepalive failing with gRPC code 2, which it
// does not retry on another member, so its leader demoted). Stopped first, it
// refuses connections, and clients move to another member at once.
struct LeavingService {
  std::function<absl::Status()> stop;   // empty: removed while it runs
  std::function<absl::Status()> start;  // if the removal then fails
};

// Removes the member at `peer_url` (nothing to do if it is gone): refused
// unless the voting members that stay are a healthy quorum; a leader moves
// its leadership to a healthy voter first. With `service`, the member's etcd
// is stopped before the removal when the others are a quorum of the cluster
// as it is (so stopping it costs no quorum), and started again if the
// removal fails.
absl::Status LeaveSafely(Client& client, const std::string& peer_url, Deadline deadline, const Cancelled& cancelled,
                         const LeavingService& service = {});

}  // namespace pgha::etcd
