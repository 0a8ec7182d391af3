#include "rolling/switchover.h"

#include "base/strings.h"
#include "rolling/guest_script.h"

namespace pgha::rolling {

absl::StatusOr<SwitchoverOutcome> SwitchoverFrom(agent::GuestAgent& leader, std::chrono::seconds wait,
                                                 const std::vector<std::string>& leaving) {
  std::vector<std::string> args = {std::to_string(wait.count())};
  args.insert(args.end(), leaving.begin(), leaving.end());
  auto ran = RunGuestScript(leader, "agent/switchover.py", args, wait + std::chrono::seconds(90));
  if (!ran.ok()) return ran.status();
  const nlohmann::json& j = *ran;
  if (!j.contains("result") || !j["result"].is_string()) {
    return absl::InternalError(pgha::StrCat("the switchover in ", leader.channel().Describe(), " printed no result"));
  }
  const std::string result = j["result"].get<std::string>();
  SwitchoverOutcome o;
  if (result == "switched") {
    o.kind = SwitchoverOutcome::Kind::kSwitched;
    o.to = j.value("to", "");
    o.seconds = j.value("seconds", 0.0);
  } else if (result == "not_leader") {
    o.kind = SwitchoverOutcome::Kind::kNotLeader;
  } else if (result == "alone") {
    o.kind = SwitchoverOutcome::Kind::kAlone;
  } else if (result == "not_serving") {
    o.kind = SwitchoverOutcome::Kind::kNotServing;
  } else {
    return absl::FailedPreconditionError(pgha::StrCat("the switchover from ", leader.channel().Describe(),
                                                      " failed: ", j.value("reason", std::string("no reason given"))));
  }
  return o;
}

absl::StatusOr<std::optional<SwitchoverPlan>> PlanSwitchover(agent::GuestAgent& leader,
                                                             const std::vector<std::string>& leaving) {
  std::vector<std::string> args = {"plan"};
  args.insert(args.end(), leaving.begin(), leaving.end());
  auto ran = RunGuestScript(leader, "agent/switchover.py", args, std::chrono::seconds(90));
  if (!ran.ok()) return ran.status();
  const nlohmann::json& j = *ran;
  const std::string result = j.contains("result") && j["result"].is_string() ? j["result"].get<std::string>() : "";
  if (result == "not_leader" || result == "alone" || result == "not_serving") return std::nullopt;
  if (result != "plan") {
    return absl::FailedPreconditionError(pgha::StrCat("the switchover plan in ", leader.channel().Describe(),
                                                      " failed: ", j.value("reason", std::string("no reason given"))));
  }
  SwitchoverPlan plan;
  if (j.contains("candidate") && j["candidate"].is_string()) plan.candidate = j["candidate"].get<std::string>();
  if (j.contains("replicas") && j["replicas"].is_array()) {
    for (const auto& r : j["replicas"]) {
      if (r.is_string()) plan.replicas.push_back(r.get<std::string>());
    }
  }
  plan.scope = j.value("scope", std::string());
  plan.ns = j.value("namespace", std::string());
  return plan;
}

}  // namespace pgha::rolling
