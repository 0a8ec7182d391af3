// The etcd snapshots a repository host keeps for one cluster: the names in
// its store's directory, read through the host's guest agent. Knows the
// store's layout (one directory per cluster, one file per snapshot), not
// Terraform.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent.h"

namespace pgha::backup {

struct SnapshotListing {
  bool cluster_known = false;      // the store has a directory for the cluster
  std::vector<std::string> names;  // the *.db files, sorted (a snapshot's name begins with its UTC time)
};

// Lists `<store_root>/<cluster>` on the host. `cluster` is a DNS label (checked here too).
absl::StatusOr<SnapshotListing> ListSnapshots(agent::GuestAgent& agent, const std::string& store_root,
                                              const std::string& cluster);

}  // namespace pgha::backup
