// Patroni's dynamic configuration after bootstrap, through a node's guest
// agent (templates/agent/patroni_config.py): the settings pgha renders under
// bootstrap.dcs reach a running cluster through PATCH /config, and the
// parameters that need a restart are restarted node by node.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent.h"

namespace pgha::rolling {

// PATCH /config with what differs from the node's configuration file; the keys patched.
absl::StatusOr<std::vector<std::string>> SyncDynamicConfig(agent::GuestAgent& node);
// Whether PostgreSQL on the node waits for a restart to apply its settings
// (Patroni notices on its next loop: waits up to `wait` for it).
absl::StatusOr<bool> PendingRestart(agent::GuestAgent& node, std::chrono::seconds wait);
// After a reload: waits up to `wait` until PostgreSQL and the REST API serve
// the certificates on disk (Patroni acts on a reload at its next loop).
absl::Status WaitReloaded(agent::GuestAgent& node, std::chrono::seconds wait);
// Restarts PostgreSQL on the node through Patroni, and waits until it runs.
absl::Status RestartPending(agent::GuestAgent& node);

}  // namespace pgha::rolling
