// Runs one of pgha's guest scripts (templates/agent/*.py) through the guest
// agent: python3 reads the script from standard input, so nothing needs to
// be installed in the guest first and nothing secret is in argv.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent.h"
#include "nlohmann/json.hpp"

namespace pgha::rolling {

// The JSON object the script printed last. A `{"error": ...}` object is
// returned as is: callers decide what an error means for them.
absl::StatusOr<nlohmann::json> RunGuestScript(agent::GuestAgent& agent, const std::string& script,
                                              const std::vector<std::string>& args, std::chrono::seconds deadline);

}  // namespace pgha::rolling
