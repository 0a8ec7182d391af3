// A planned Patroni switchover, run through the leader's guest agent
// (templates/agent/switchover.py): before pgha stops, reboots or deletes a
// leader it hands the leader key to the streaming synchronous standby and
// waits until that node leads.
#pragma once

#include <chrono>
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

}  // namespace pgha::rolling
