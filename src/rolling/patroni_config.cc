#include "rolling/patroni_config.h"

#include "base/strings.h"
#include "rolling/guest_script.h"

namespace pgha::rolling {
namespace {

constexpr const char* kScript = "agent/patroni_config.py";

absl::Status ErrorOf(const nlohmann::json& j, agent::GuestAgent& node, std::string_view what) {
  if (!j.contains("error")) return absl::OkStatus();
  return absl::FailedPreconditionError(pgha::StrCat(what, " on ", node.channel().Describe(), " failed: ",
                                                    j["error"].is_string() ? j["error"].get<std::string>() : j.dump()));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SyncDynamicConfig(agent::GuestAgent& node) {
  auto j = RunGuestScript(node, kScript, {"sync"}, std::chrono::seconds(120));
  if (!j.ok()) return j.status();
  if (auto e = ErrorOf(*j, node, "Changing Patroni's dynamic configuration"); !e.ok()) return e;
  std::vector<std::string> keys;
  for (const auto& k : (*j)["patched"]) {
    if (k.is_string()) keys.push_back(k.get<std::string>());
  }
  return keys;
}

absl::StatusOr<bool> PendingRestart(agent::GuestAgent& node, std::chrono::seconds wait) {
  auto j = RunGuestScript(node, kScript, {"pending", std::to_string(wait.count())}, wait + std::chrono::seconds(60));
  if (!j.ok()) return j.status();
  if (auto e = ErrorOf(*j, node, "Reading Patroni's pending restart"); !e.ok()) return e;
  return j->value("pending_restart", false);
}

absl::Status WaitReloaded(agent::GuestAgent& node, std::chrono::seconds wait) {
  auto j = RunGuestScript(node, kScript, {"reloaded", std::to_string(wait.count())}, wait + std::chrono::seconds(60));
  if (!j.ok()) return j.status();
  if (auto e = ErrorOf(*j, node, "Waiting for Patroni's reload"); !e.ok()) return e;
  if (!j->value("reloaded", false)) {
    return absl::DeadlineExceededError(pgha::StrCat("PostgreSQL or the REST API on ", node.channel().Describe(),
                                                    " still serves its old certificate ", wait.count(),
                                                    " s after the reload"));
  }
  return absl::OkStatus();
}

absl::Status RestartPending(agent::GuestAgent& node) {
  auto j = RunGuestScript(node, kScript, {"restart"}, std::chrono::seconds(600));
  if (!j.ok()) return j.status();
  return ErrorOf(*j, node, "Restarting PostgreSQL through Patroni");
}

}  // namespace pgha::rolling
