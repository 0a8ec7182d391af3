#include "etcd/membership.h"

#include <thread>

#include "gtest/gtest.h"
#include "support/real_etcd.h"

namespace pgha::etcd {
namespace {

using Clock = std::chrono::steady_clock;
const auto kSoon = [] { return Clock::now() + std::chrono::seconds(60); };

class MembershipTest : public testing::RealEtcdTest {
 protected:
  std::vector<std::string> Endpoints(int n) const {
    std::vector<std::string> out;
    for (int i = 1; i <= n; ++i) out.push_back(ClientUrl(i));
    return out;
  }
  int Voters(Client& client) {
    auto members = client.MemberList();
    EXPECT_TRUE(members.ok()) << members.status();
    int n = 0;
    for (const auto& m : members.value_or(std::vector<Member>{})) n += m.learner ? 0 : 1;
    return n;
  }

  // Which of members 1..n leads (0 when none does); `id` gets its member ID.
  int Leader(Client& client, int n, uint64_t* id = nullptr) {
    auto status = client.Status(ClientUrl(1));
    EXPECT_TRUE(status.ok()) << status.status();
    auto members = client.MemberList();
    EXPECT_TRUE(members.ok()) << members.status();
    if (!status.ok() || !members.ok()) return 0;
    if (id != nullptr) *id = status->leader;
    for (int i = 1; i <= n; ++i) {
      if (auto m = FindByPeerUrl(*members, PeerUrl(i)); m && m->id == status->leader) return i;
    }
    return 0;
  }

  // etcd 3.4 answers MemberList from the member asked, which may apply a change a moment after
  // the member that took it: the count is awaited, not read once.
  void ExpectVoters(Client& client, int n) {
    WaitUntil([&] { return Voters(client) == n; }, std::to_string(n) + " voting members in the member list",
              std::chrono::seconds(15));
  }
};

TEST_F(MembershipTest, ANewMemberJoinsAsALearnerAndIsPromotedOnceInSync) {
  StartCluster(3);
  Client client = RootClient(Endpoints(3));
  auto added = JoinAsLearner(client, PeerUrl(4), kSoon(), nullptr);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_TRUE(added->member.learner);
  EXPECT_TRUE(added->member.name.empty());  // not started yet
  // A retry (a crash after MemberAdd) finds it instead of adding it twice.
  auto again = JoinAsLearner(client, PeerUrl(4), kSoon(), nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->member.id, added->member.id);
  EXPECT_EQ(again->members.size(), 4u);

  // Not started: the promotion waits, and says why when its time is up.
  auto early = PromoteWhenInSync(client, PeerUrl(4), Clock::now() + std::chrono::seconds(2), nullptr);
  EXPECT_EQ(early.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(early.message().find("initial-cluster-state `existing`"), std::string::npos) << early;

  const std::string initial = InitialCluster(added->members, Name(4), PeerUrl(4));
  EXPECT_NE(initial.find(Name(4) + "=" + PeerUrl(4)), std::string::npos) << initial;
  EXPECT_NE(initial.find(Name(1) + "=" + PeerUrl(1)), std::string::npos) << initial;
  StartMember(4, initial, "existing");
  ASSERT_TRUE(PromoteWhenInSync(client, PeerUrl(4), kSoon(), nullptr).ok());
  ExpectVoters(client, 4);
  EXPECT_TRUE(PromoteWhenInSync(client, PeerUrl(4), kSoon(), nullptr).ok());  // a voter already: done
}

// Seen on VMs on an overloaded host: a login timed out once while the new member caught up, and
// the member's create failed with 15 of its 25 minutes left. A wait with a deadline asks again.
TEST_F(MembershipTest, APromotionWaitsOutAClusterThatDoesNotAnswerForAWhile) {
  StartCluster(3);
  Client client = RootClient(Endpoints(3), /*by_password=*/false, std::chrono::milliseconds(500));
  auto added = JoinAsLearner(client, PeerUrl(4), kSoon(), nullptr);
  ASSERT_TRUE(added.ok()) << added.status();
  StartMember(4, InitialCluster(added->members, Name(4), PeerUrl(4)), "existing");
  for (int i = 1; i <= 3; ++i) Freeze(Name(i));
  const auto frozen = Clock::now();
  std::thread thaw([&] {
    std::this_thread::sleep_for(std::chrono::seconds(4));
    for (int i = 1; i <= 3; ++i) Thaw(Name(i));
  });
  const absl::Status promoted = PromoteWhenInSync(client, PeerUrl(4), kSoon(), nullptr);
  thaw.join();
  ASSERT_TRUE(promoted.ok()) << promoted;
  EXPECT_GE(Clock::now() - frozen, std::chrono::seconds(4)) << "the cluster answered while frozen";
  ExpectVoters(client, 4);

  // Joining waits it out the same way.
  for (int i = 1; i <= 4; ++i) Freeze(Name(i));
  std::thread thaw_again([&] {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    for (int i = 1; i <= 4; ++i) Thaw(Name(i));
  });
  auto joined = JoinAsLearner(client, PeerUrl(5), kSoon(), nullptr);
  thaw_again.join();
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_TRUE(joined->member.learner);

  // An answer that is a refusal still ends the wait at once.
  const auto asked = Clock::now();
  EXPECT_FALSE(PromoteWhenInSync(client, "https://127.0.0.1:1", kSoon(), nullptr).ok());
  EXPECT_LT(Clock::now() - asked, std::chrono::seconds(5));
}

TEST_F(MembershipTest, TheLeaderLeavesAfterHandingOverAndTheRestKeepTheirQuorum) {
  StartCluster(3);
  Client client = RootClient(Endpoints(3), /*by_password=*/true);
  const int leader = Leader(client, 3);
  ASSERT_NE(leader, 0);
  const std::string leader_peer = PeerUrl(leader);
  auto left = LeaveSafely(client, leader_peer, kSoon(), nullptr);
  ASSERT_TRUE(left.ok()) << left.ToString();
  ExpectVoters(client, 2);
  // A new leader among the two that stayed, and they still take writes.
  std::vector<std::string> staying;
  for (int i = 1; i <= 3; ++i) {
    if (PeerUrl(i) != leader_peer) staying.push_back(ClientUrl(i));
  }
  EXPECT_EQ(Etcdctl(staying, {"put", "after", "removal"}), 0);
  // Gone already: a retry is fine.
  EXPECT_TRUE(LeaveSafely(client, leader_peer, kSoon(), nullptr).ok());
  // Two members left: removing one would leave one, under the quorum of two.
  auto refused = LeaveSafely(client, PeerUrl(leader_peer == PeerUrl(1) ? 2 : 1), kSoon(), nullptr);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  ExpectVoters(client, 2);
}

TEST_F(MembershipTest, ARemovalThatNeedsADownMemberIsRefusedAndADeadLeaderIsRemoved) {
  StartCluster(3);
  Client client = RootClient(Endpoints(3));
  // The leader dies: its peers elect another one.
  const int dead = Leader(client, 3);
  ASSERT_NE(dead, 0);
  Stop(Name(dead));
  const int other = dead == 1 ? 2 : 1;
  // Removing another member would leave one healthy voter of two.
  auto refused = LeaveSafely(client, PeerUrl(other), kSoon(), nullptr);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_NE(refused.message().find("fewer than a quorum"), std::string::npos) << refused;
  ExpectVoters(client, 3);
  // Removing the dead leader itself keeps the two healthy ones (once they have a new leader).
  auto removed = LeaveSafely(client, PeerUrl(dead), kSoon(), nullptr);
  EXPECT_TRUE(removed.ok()) << removed.ToString();
  ExpectVoters(client, 2);
}

TEST_F(MembershipTest, ALeavingLeaderIsStoppedOnceItLeadsNoMoreAndBeforeItIsRemoved) {
  StartCluster(3);
  Client client = RootClient(Endpoints(3));
  uint64_t leader_id = 0;
  const int leader = Leader(client, 3, &leader_id);
  ASSERT_NE(leader, 0);
  const int other = leader == 1 ? 2 : 1;
  int stops = 0;
  LeavingService service{.stop = [&]() -> absl::Status {
    ++stops;
    // Still a member when it stops, and no longer the leader.
    auto seen = client.MemberList();
    EXPECT_TRUE(seen.ok() && FindByPeerUrl(*seen, PeerUrl(leader)).has_value());
    auto now = client.Status(ClientUrl(other));
    EXPECT_TRUE(now.ok() && now->leader != leader_id);
    Stop(Name(leader));
    return absl::OkStatus();
  }};
  auto left = LeaveSafely(client, PeerUrl(leader), kSoon(), nullptr, service);
  ASSERT_TRUE(left.ok()) << left;
  EXPECT_EQ(stops, 1);
  ExpectVoters(client, 2);
  EXPECT_EQ(Etcdctl({ClientUrl(other)}, {"put", "after", "removal"}), 0);
}

TEST_F(MembershipTest, AMemberIsNotStoppedFirstWhenTheOthersAreNoQuorumOfTheClusterAsItIs) {
  StartCluster(4);
  Client client = RootClient(Endpoints(4));
  Stop(Name(4));
  // Three of four answer: removing member 3 keeps two healthy of the three that stay (a quorum),
  // but stopping it first would leave two of four running, fewer than their quorum of three.
  bool stopped = false;
  LeavingService service{.stop = [&] {
    stopped = true;
    return absl::OkStatus();
  }};
  auto left = LeaveSafely(client, PeerUrl(3), kSoon(), nullptr, service);
  ASSERT_TRUE(left.ok()) << left;
  EXPECT_FALSE(stopped);
  ExpectVoters(client, 3);
}

TEST(KeepsQuorum, WhatStaysMustBeAMajorityOfWhatWas) {
  EXPECT_EQ(Quorum(1), 1);
  EXPECT_EQ(Quorum(2), 2);
  EXPECT_EQ(Quorum(3), 2);
  EXPECT_EQ(Quorum(4), 3);
  EXPECT_TRUE(KeepsQuorum(3, 1));
  EXPECT_FALSE(KeepsQuorum(3, 2));
  EXPECT_FALSE(KeepsQuorum(2, 1));  // 1 of 2 is no majority of 2
  EXPECT_TRUE(KeepsQuorum(5, 2));
  EXPECT_FALSE(KeepsQuorum(4, 2));
  EXPECT_FALSE(KeepsQuorum(1, 1));
  EXPECT_TRUE(KeepsQuorum(1, 0));
}

TEST(CheckRemovals, NeverHalfOrMoreOfTheVotersAtOnce) {
  auto cluster = [](int voters, int learners) {
    std::vector<Member> out;
    for (int i = 1; i <= voters + learners; ++i) {
      out.push_back({.id = static_cast<uint64_t>(i), .name = "m" + std::to_string(i),
                     .peer_urls = {"https://m" + std::to_string(i) + ":2380"}, .learner = i > voters});
    }
    return out;
  };
  const auto url = [](int i) { return "https://m" + std::to_string(i) + ":2380"; };
  EXPECT_TRUE(CheckRemovals(cluster(3, 0), {url(3)}).ok());
  auto two_of_three = CheckRemovals(cluster(3, 0), {url(2), url(3)});
  EXPECT_EQ(two_of_three.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(two_of_three.message().find("separate applies"), std::string::npos) << two_of_three;
  EXPECT_TRUE(CheckRemovals(cluster(5, 0), {url(4), url(5)}).ok());  // 5 -> 3 keeps the quorum of 3
  EXPECT_FALSE(CheckRemovals(cluster(2, 0), {url(2)}).ok());           // etcd: unsafe from two members
  EXPECT_TRUE(CheckRemovals(cluster(2, 1), {url(3)}).ok());            // a learner never counts
  EXPECT_TRUE(CheckRemovals(cluster(3, 0), {"https://gone:2380"}).ok());
  EXPECT_NE(CheckRemovals(cluster(1, 0), {url(1)}).message().find("last member"), std::string::npos);
}

TEST(InitialCluster, ListsEveryMemberWithTheJoiningOneUnderItsName) {
  std::vector<Member> members = {{.id = 1, .name = "a", .peer_urls = {"https://a:2380"}},
                                 {.id = 2, .name = "", .peer_urls = {"https://d:2380"}, .learner = true}};
  EXPECT_EQ(InitialCluster(members, "d", "https://d:2380"), "a=https://a:2380,d=https://d:2380");
}

}  // namespace
}  // namespace pgha::etcd
