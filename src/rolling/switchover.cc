#include "rolling/switchover.h"

#include "base/strings.h"
#include "cloudinit/yaml_template.h"
#include "nlohmann/json.hpp"

namespace pgha::rolling {

absl::StatusOr<SwitchoverOutcome> SwitchoverFrom(agent::GuestAgent& leader, std::chrono::seconds wait) {
  auto script = cloudinit::EmbeddedTemplate("agent/switchover.py");
  if (!script.ok()) return script.status();
  agent::Command c;
  c.argv = {"/usr/bin/python3", "-", std::to_string(wait.count())};
  c.input = std::string(*script);
  c.deadline = wait + std::chrono::seconds(60);
  auto out = leader.Run(c);
  if (!out.ok()) return out.status();
  std::string_view text = out->out;
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (const auto nl = text.rfind('\n'); nl != std::string_view::npos) text.remove_prefix(nl + 1);
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("result") || !j["result"].is_string()) {
    return absl::InternalError(pgha::StrCat("the switchover in ", leader.channel().Describe(), " printed no result: ",
                                            out->err.substr(0, 500)));
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
  } else {
    return absl::FailedPreconditionError(pgha::StrCat("the switchover from ", leader.channel().Describe(),
                                                      " failed: ", j.value("reason", std::string("no reason given"))));
  }
  return o;
}

}  // namespace pgha::rolling
