// What a pgha VM's service says about itself, read through the guest agent
// (templates/agent/probe.py runs inside the guest), and the wait that
// Create and Update use: they return once the role is healthy, or fail
// with what was last seen when their timeout runs out.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent.h"

namespace pgha::health {

// The probes: "etcd", "patroni", "haproxy", "pgbackrest".
enum class Service { kEtcd, kPatroni, kHaproxy, kPgbackrest };
std::string_view ServiceName(Service s);

struct Health {
  bool healthy = false;
  // leader, sync_standby, replica (Patroni); leader, follower (etcd); routing (HAProxy).
  std::string role;
  // Why it is not healthy, in the probe's words.
  std::string problem;
  std::optional<int64_t> lag_bytes, timeline;   // Patroni
  std::string member_id;                        // etcd, hex
  std::optional<bool> is_leader;                // etcd
  // Every member of the cluster, as this one sees it, is healthy (etcd, Patroni).
  bool cluster_healthy = false;
  // The names of the cluster's members, as this one sees them (etcd, Patroni).
  std::vector<std::string> member_names;
  // Context for a diagnostic.
  std::string cloud_init_stage;
  bool cloud_init_done = false;
  std::vector<std::string> cloud_init_errors;
  // While cloud-init runs: the last lines pgha's own boot scripts printed (what the boot waits on).
  std::vector<std::string> cloud_init_output;
  std::string unit_state;
  int64_t unit_restarts = 0;
  std::vector<std::string> journal;

  // Several lines: what was seen, for an error diagnostic.
  std::string Describe() const;

  // cloud-init has finished this boot, or does not run in it. A service that is healthy before then
  // may still be restarted by cloud-init's own commands: a reboot under a new instance-id (the seed
  // changed since the last boot, e.g. by a live change) runs them all again, minutes into the boot
  // under emulation.
  bool BootFinished() const;
};

// The probe's JSON report.
absl::StatusOr<Health> ParseReport(std::string_view json);

// How deep a probe looks: a refresh looks; an operation that waits also runs the checks that act
// on the cluster (pgBackRest's check switches the leader's WAL segment).
enum class Depth { kLook, kWait };

// Runs the probe in the guest once.
absl::StatusOr<Health> Probe(agent::GuestAgent& agent, Service service, Depth depth = Depth::kLook);

struct WaitOptions {
  std::chrono::seconds timeout{1800};
  std::chrono::seconds interval{5};
  // Polled between probes; true ends the wait with Cancelled.
  std::function<bool()> cancelled;
};

// Probes until healthy and BootFinished. DeadlineExceeded (its message says what was last
// seen, or that the agent never answered and how to fix that) at the timeout.
absl::StatusOr<Health> WaitHealthy(agent::GuestAgent& agent, Service service, const WaitOptions& options);

}  // namespace pgha::health
