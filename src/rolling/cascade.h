// Before a planned switchover, the replicas other than the candidate stream
// from the candidate (templates/agent/cascade.py, Patroni's `replicatefrom`
// tag): once it is promoted they follow it onto its new timeline by
// themselves, so in strict synchronous mode its first commit has a standby to
// acknowledge it at once instead of after Patroni's loops re-point someone
// (3.3 s of writes lost to that in the services tier; 1.8-2.0 s with this).
// Best effort: a replica pgha cannot reach (on another hypervisor, a Patroni
// name that is not its domain's) is re-pointed by Patroni as before, and
// durability never depends on it: the synchronous standby stays the candidate.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "rolling/switchover.h"

namespace pgha::rolling {

// Runs templates/agent/cascade.py with `args` in the named member's guest.
using RunCascade = std::function<absl::StatusOr<nlohmann::json>(const std::string& member,
                                                                const std::vector<std::string>& args)>;

// How long one replica may take to stream from the candidate before it goes
// back to following the leader.
inline constexpr std::chrono::seconds kCascadeWait{30};

// Points each replica of the plan at its candidate; returns those that stream
// from it now. A replica that fails is left following the leader.
std::vector<std::string> PointReplicasAtCandidate(const SwitchoverPlan& plan, const RunCascade& run);

// After the switchover (whatever its outcome): every member of the plan,
// the candidate too, follows the leader again with the file pgha rendered.
// Clearing is idempotent, so a run killed between the two steps is repaired
// by the next switchover's plan.
void ClearCascade(const SwitchoverPlan& plan, const RunCascade& run);

}  // namespace pgha::rolling
