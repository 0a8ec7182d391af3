// A planned Patroni switchover, run through the leader's guest agent
// (templates/agent/switchover.py): before pgha stops, reboots or deletes a
// leader it hands the leader key to the streaming synchronous standby and
// waits until that node leads.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent.h"

namespace pgha::rolling {

struct SwitchoverOutcome {
  enum class Kind {
    kSwitched,   // `to` leads now
    kNotLeader,  // this node did not lead: nothing to do
    kAlone,      // no other member runs: nothing to switch to
    kNotServing, // this node's Patroni does not answer (never started, broken): it holds no leadership to hand over
  };
  Kind kind = Kind::kNotLeader;
  std::string to;
  double seconds = 0;
};

// FailedPrecondition (with Patroni's reason) when no switchover could be made:
// the caller must not take the leader down then.
// Members named in `leaving` are being deleted: never candidates, and when
// no one else runs the outcome is kAlone.
absl::StatusOr<SwitchoverOutcome> SwitchoverFrom(agent::GuestAgent& leader, std::chrono::seconds wait,
                                                 const std::vector<std::string>& leaving = {});

// What a switchover from this leader would do now (switchover.py plan).
struct SwitchoverPlan {
  std::string candidate;              // empty: no streaming synchronous standby at this moment
  std::vector<std::string> replicas;  // the other running members, none of them leaving
  std::string scope, ns;              // the Patroni cluster (scope, namespace)
};

// nullopt when this node does not lead or has no one to hand over to; an
// error when the script could not tell.
absl::StatusOr<std::optional<SwitchoverPlan>> PlanSwitchover(agent::GuestAgent& leader,
                                                             const std::vector<std::string>& leaving = {});

}  // namespace pgha::rolling
