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
    o.to = StringField(j, "to");
    o.seconds = j.value("seconds", 0.0);
  } else if (result == "not_leader") {
    o.kind = SwitchoverOutcome::Kind::kNotLeader;
  } else if (result == "alone") {
    o.kind = SwitchoverOutcome::Kind::kAlone;
  } else if (result == "not_serving") {
    o.kind = SwitchoverOutcome::Kind::kNotServing;
  } else {
    return absl::FailedPreconditionError(pgha::StrCat("the switchover from ", leader.channel().Describe(),
                                                      " failed: ", StringField(j, "reason", "no reason given")));
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
  const std::string result = StringField(j, "result");
  if (result == "not_leader" || result == "alone" || result == "not_serving") return std::nullopt;
  if (result != "plan") {
    return absl::FailedPreconditionError(pgha::StrCat("the switchover plan in ", leader.channel().Describe(),
                                                      " failed: ", StringField(j, "reason", "no reason given")));
  }
  SwitchoverPlan plan;
  plan.candidate = StringField(j, "candidate");
  if (j.contains("replicas") && j["replicas"].is_array()) {
    for (const auto& r : j["replicas"]) {
      if (r.is_string()) plan.replicas.push_back(r.get<std::string>());
    }
  }
  plan.scope = StringField(j, "scope");
  plan.ns = StringField(j, "namespace");
  return plan;
}

}  // namespace pgha::rolling
