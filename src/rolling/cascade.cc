#include "rolling/cascade.h"

#include "log/log.h"
#include "rolling/guest_script.h"

namespace pgha::rolling {

std::vector<std::string> PointReplicasAtCandidate(const SwitchoverPlan& plan, const RunCascade& run) {
  std::vector<std::string> cascading;
  if (plan.candidate.empty()) return cascading;
  for (const auto& replica : plan.replicas) {
    if (replica == plan.candidate) continue;
    auto said = run(replica, {"follow", plan.candidate, std::to_string(kCascadeWait.count()), plan.ns, plan.scope});
    const std::string result = said.ok() ? StringField(*said, "result") : std::string();
    if (result == "cascading") {
      cascading.push_back(replica);
      continue;
    }
    const std::string why = said.ok() ? StringField(*said, "reason", result) : std::string(said.status().message());
    log::Info("replica not pointed at the switchover candidate; Patroni re-points it after the handover",
              {{"member", replica}, {"candidate", plan.candidate}, {"why", why}});
  }
  return cascading;
}

void ClearCascade(const SwitchoverPlan& plan, const RunCascade& run) {
  std::vector<std::string> members = plan.replicas;
  if (!plan.candidate.empty()) members.push_back(plan.candidate);
  for (const auto& member : members) {
    auto said = run(member, {"clear"});
    const std::string result = said.ok() ? StringField(*said, "result") : std::string();
    if (result != "cleared" && result != "unchanged") {
      const std::string why = said.ok() ? StringField(*said, "reason", result) : std::string(said.status().message());
      log::Warn("a replicatefrom tag may remain in a Patroni configuration until the next switchover",
                {{"member", member}, {"why", why}});
    }
  }
}

}  // namespace pgha::rolling
