#include "backup/snapshots.h"

#include <algorithm>
#include <regex>
#include <sstream>

#include "base/strings.h"

namespace pgha::backup {

absl::StatusOr<SnapshotListing> ListSnapshots(agent::GuestAgent& agent, const std::string& store_root,
                                              const std::string& cluster) {
  static const std::regex kLabel(R"(^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$)");
  if (!std::regex_match(cluster, kLabel)) {
    return absl::InvalidArgumentError(pgha::StrCat("\"", cluster, "\" is not a cluster name"));
  }
  const std::string dir = pgha::StrCat(store_root, "/", cluster);
  // find prints nothing and fails for a missing directory; -printf keeps one name per line.
  agent::Command command;
  command.argv = {"/usr/bin/find", dir, "-maxdepth", "1", "-type", "f", "-name", "*.db", "-printf", "%f\\n"};
  command.deadline = std::chrono::seconds(30);
  command.max_output = 1 << 20;
  auto outcome = agent.Run(command);
  if (!outcome.ok()) return outcome.status();
  SnapshotListing listing;
  if (outcome->exit_code != 0) {
    if (outcome->err.find("No such file or directory") != std::string::npos) return listing;
    return absl::UnavailableError(pgha::StrCat("listing ", dir, " exited ", outcome->exit_code, ": ", outcome->err));
  }
  listing.cluster_known = true;
  std::istringstream lines(outcome->out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) listing.names.push_back(line);
  }
  std::sort(listing.names.begin(), listing.names.end());
  return listing;
}

}  // namespace pgha::backup
