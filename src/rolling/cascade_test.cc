// The order and the tolerance of the cascade around a switchover, with a
// scripted runner in place of the guests (the script itself runs against
// real Patroni in the services tier, test_services.py's planned switchover).
#include "rolling/cascade.h"

#include <map>

#include "gtest/gtest.h"

namespace pgha::rolling {
namespace {

struct Calls {
  std::vector<std::string> seen;  // "member: arg arg ..."
  std::map<std::string, absl::StatusOr<nlohmann::json>> answers;  // by member

  RunCascade Runner() {
    return [this](const std::string& member, const std::vector<std::string>& args) -> absl::StatusOr<nlohmann::json> {
      std::string line = member + ":";
      for (const auto& a : args) line += " " + a;
      seen.push_back(line);
      auto found = answers.find(member);
      if (found != answers.end()) return found->second;
      return args[0] == "clear" ? nlohmann::json{{"result", "cleared"}} : nlohmann::json{{"result", "cascading"}};
    };
  }
};

SwitchoverPlan ThreeOfFive() {
  SwitchoverPlan plan;
  plan.candidate = "pg-2";
  plan.replicas = {"pg-3", "pg-4", "pg-5"};
  plan.scope = "main";
  plan.ns = "/service/";
  return plan;
}

TEST(Cascade, EveryOtherReplicaIsPointedAtTheCandidateWithItsCluster) {
  Calls calls;
  const auto cascading = PointReplicasAtCandidate(ThreeOfFive(), calls.Runner());
  EXPECT_EQ(cascading, (std::vector<std::string>{"pg-3", "pg-4", "pg-5"}));
  EXPECT_EQ(calls.seen, (std::vector<std::string>{"pg-3: follow pg-2 30 /service/ main", "pg-4: follow pg-2 30 /service/ main",
                                                  "pg-5: follow pg-2 30 /service/ main"}));
}

TEST(Cascade, AReplicaThatCannotBeReachedOrRefusesIsLeftToPatroni) {
  Calls calls;
  calls.answers.emplace("pg-3", absl::UnavailableError("no domain pg-3 on this hypervisor"));
  calls.answers.emplace("pg-4", nlohmann::json{{"result", "failed"}, {"reason", "not streaming from pg-2 after 30 s"}});
  EXPECT_EQ(PointReplicasAtCandidate(ThreeOfFive(), calls.Runner()), (std::vector<std::string>{"pg-5"}));
  EXPECT_EQ(calls.seen.size(), 3u);
}

TEST(Cascade, NoCandidateNoCascade) {
  Calls calls;
  SwitchoverPlan plan = ThreeOfFive();
  plan.candidate.clear();
  EXPECT_TRUE(PointReplicasAtCandidate(plan, calls.Runner()).empty());
  EXPECT_TRUE(calls.seen.empty());
}

TEST(Cascade, ClearingReachesEveryMemberOfThePlanTheCandidateToo) {
  Calls calls;
  calls.answers.emplace("pg-4", absl::UnavailableError("agent gone"));  // tolerated: the next plan clears it
  ClearCascade(ThreeOfFive(), calls.Runner());
  EXPECT_EQ(calls.seen, (std::vector<std::string>{"pg-3: clear", "pg-4: clear", "pg-5: clear", "pg-2: clear"}));
}

}  // namespace
}  // namespace pgha::rolling
