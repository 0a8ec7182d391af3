#include "rolling/guest_script.h"

#include "base/strings.h"
#include "cloudinit/yaml_template.h"

namespace pgha::rolling {

absl::StatusOr<nlohmann::json> RunGuestScript(agent::GuestAgent& agent, const std::string& script,
                                              const std::vector<std::string>& args, std::chrono::seconds deadline) {
  auto text = cloudinit::EmbeddedTemplate(script);
  if (!text.ok()) return text.status();
  agent::Command c;
  c.argv = {"/usr/bin/python3", "-"};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.input = std::string(*text);
  c.deadline = deadline;
  auto out = agent.Run(c);
  if (!out.ok()) return out.status();
  std::string_view last = out->out;
  while (!last.empty() && last.back() == '\n') last.remove_suffix(1);
  if (const auto nl = last.rfind('\n'); nl != std::string_view::npos) last.remove_prefix(nl + 1);
  auto j = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return absl::InternalError(pgha::StrCat(script, " in ", agent.channel().Describe(), " printed no result (exit ",
                                            out->exit_code, "): ", out->err.substr(0, 500)));
  }
  return j;
}

std::string StringField(const nlohmann::json& j, const char* key, std::string fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace pgha::rolling
