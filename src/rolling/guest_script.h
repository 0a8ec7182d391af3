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

// A string field of a script's answer, or `fallback` when it is missing or
// not a string (nlohmann's value() throws on a null or a number there).
std::string StringField(const nlohmann::json& j, const char* key, std::string fallback = {});

}  // namespace pgha::rolling
