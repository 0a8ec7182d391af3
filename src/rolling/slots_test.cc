#include "rolling/slots.h"

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace pgha::rolling {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const auto kFar = [] { return Clock::now() + std::chrono::minutes(1); };

TEST(ClusterSlots, StepsOfOneClusterNeverOverlap) {
  ClusterSlots slots(milliseconds(0));
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto hold = slots.Acquire("patroni|pgha", "node-" + std::to_string(i), false, kFar());
      ASSERT_TRUE(hold.ok());
      const int now = ++inside;
      most = std::max(most.load(), now);
      std::this_thread::sleep_for(milliseconds(20));
      --inside;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 1);
}

TEST(ClusterSlots, DifferentClustersGoTogether) {
  ClusterSlots slots(milliseconds(0));
  auto a = slots.Acquire("etcd|one", "a", false, kFar());
  ASSERT_TRUE(a.ok());
  auto b = slots.Acquire("etcd|two", "b", false, Clock::now() + milliseconds(100));
  EXPECT_TRUE(b.ok()) << b.status();
}

TEST(ClusterSlots, TheLeaderGoesAfterTheMembersThatArriveWithIt) {
  ClusterSlots slots(milliseconds(300));
  std::mutex mu;
  std::vector<std::string> order;
  auto step = [&](std::string name, bool leader, milliseconds delay) {
    std::this_thread::sleep_for(delay);
    auto hold = slots.Acquire("patroni|pgha", name, leader, kFar());
    ASSERT_TRUE(hold.ok());
    {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(name);
    }
    std::this_thread::sleep_for(milliseconds(50));
  };
  // The leader's step starts first; the replicas' steps a moment later.
  std::thread leader(step, "leader", true, milliseconds(0));
  std::thread r1(step, "replica-1", false, milliseconds(50));
  std::thread r2(step, "replica-2", false, milliseconds(100));
  leader.join();
  r1.join();
  r2.join();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order.back(), "leader");
}

TEST(ClusterSlots, AWaitEndsAtItsDeadlineNamingTheHolder) {
  ClusterSlots slots(milliseconds(0));
  auto held = slots.Acquire("etcd|one", "etcd-1", false, kFar());
  ASSERT_TRUE(held.ok());
  auto late = slots.Acquire("etcd|one", "etcd-2", false, Clock::now() + milliseconds(300));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(late.status().message().find("etcd-1"), std::string::npos) << late.status();
}

TEST(ClusterSlots, AWaitEndsWhenCancelled) {
  ClusterSlots slots(milliseconds(0));
  auto held = slots.Acquire("etcd|one", "etcd-1", false, kFar());
  ASSERT_TRUE(held.ok());
  std::atomic<bool> cancel{false};
  std::thread t([&] {
    std::this_thread::sleep_for(milliseconds(100));
    cancel = true;
  });
  auto late = slots.Acquire("etcd|one", "etcd-2", false, kFar(), [&] { return cancel.load(); });
  t.join();
  EXPECT_EQ(late.status().code(), absl::StatusCode::kCancelled);
}

TEST(ClusterSlots, ReleasedWhenTheHoldEnds) {
  ClusterSlots slots(milliseconds(0));
  {
    auto held = slots.Acquire("etcd|one", "etcd-1", false, kFar());
    ASSERT_TRUE(held.ok());
  }
  EXPECT_TRUE(slots.Acquire("etcd|one", "etcd-2", false, Clock::now() + milliseconds(50)).ok());
}

TEST(ClusterSlots, RemembersTheMembersBeingDeletedPerCluster) {
  ClusterSlots slots(milliseconds(0));
  slots.MarkLeaving("patroni|a", "pg-1");
  slots.MarkLeaving("patroni|a", "pg-1");
  slots.MarkLeaving("patroni|a", "pg-2");
  slots.MarkLeaving("patroni|b", "pg-9");
  EXPECT_EQ(slots.Leaving("patroni|a"), (std::vector<std::string>{"pg-1", "pg-2"}));
  EXPECT_TRUE(slots.Leaving("etcd|x").empty());
  // Replaced: created again, a candidate again.
  slots.MarkArriving("patroni|a", "pg-1");
  EXPECT_EQ(slots.Leaving("patroni|a"), (std::vector<std::string>{"pg-2"}));
}

TEST(ClusterSlots, AReplacedMemberKeepsTheSlotFromItsDeleteToItsCreate) {
  ClusterSlots slots(milliseconds(0));
  {
    auto deleting = slots.Acquire("patroni|a", "pg-1", false, kFar());
    ASSERT_TRUE(deleting.ok());
    slots.Park(std::move(*deleting), "pg-1", std::chrono::minutes(1));
  }
  // Between the two halves nobody else of the cluster gets in, and the message says why.
  auto other = slots.Acquire("patroni|a", "pg-2", false, Clock::now() + milliseconds(200));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(other.status().message().find("pg-1 was being replaced"), std::string::npos) << other.status();
  EXPECT_FALSE(slots.Claim("patroni|a", "pg-2").has_value());  // parked for pg-1 only
  EXPECT_TRUE(slots.Acquire("patroni|b", "pg-9", false, Clock::now() + milliseconds(50)).ok());
  {
    auto creating = slots.Claim("patroni|a", "pg-1");
    ASSERT_TRUE(creating.has_value());
    EXPECT_FALSE(slots.Acquire("patroni|a", "pg-2", false, Clock::now() + milliseconds(100)).ok());
  }
  // The new member is healthy: the hold ends and the next member goes.
  EXPECT_TRUE(slots.Acquire("patroni|a", "pg-2", false, Clock::now() + milliseconds(50)).ok());
}

TEST(ClusterSlots, AParkNobodyClaimsIsReleased) {
  ClusterSlots slots(milliseconds(0));
  auto deleting = slots.Acquire("etcd|one", "etcd-3", false, kFar());
  ASSERT_TRUE(deleting.ok());
  slots.Park(std::move(*deleting), "etcd-3", milliseconds(150));
  const auto started = Clock::now();
  auto next = slots.Acquire("etcd|one", "etcd-1", false, kFar());
  EXPECT_TRUE(next.ok());
  EXPECT_GE(Clock::now() - started, milliseconds(100));
  EXPECT_FALSE(slots.Claim("etcd|one", "etcd-3").has_value());  // too late: etcd-1 has it
}

TEST(ClusterSlots, ParkingAnEmptyHoldKeepsNothing) {
  ClusterSlots slots(milliseconds(0));
  slots.Park(ClusterSlots::Hold(), "pg-1", std::chrono::minutes(1));
  EXPECT_TRUE(slots.Acquire("patroni|a", "pg-2", false, Clock::now() + milliseconds(50)).ok());
  EXPECT_FALSE(slots.Claim("patroni|a", "pg-1").has_value());
}

TEST(ClusterSlots, ALeaderWaitsWhileAnotherMemberIsStillBeingChanged) {
  ClusterSlots slots(milliseconds(0));
  std::atomic<bool> member_done{false};
  std::optional<ClusterSlots::Presence> replica(slots.Arrive("patroni|a", "pg-2"));
  auto self = slots.Arrive("patroni|a", "pg-1");  // the leader's own presence never holds it back
  std::thread replica_work([&] {
    std::this_thread::sleep_for(milliseconds(300));  // files, reloads, then no step after all
    member_done = true;
    replica.reset();
  });
  auto leader = slots.Acquire("patroni|a", "pg-1", true, kFar());
  EXPECT_TRUE(leader.ok());
  EXPECT_TRUE(member_done.load()) << "the leader went before the other member was done";
  replica_work.join();
}

}  // namespace
}  // namespace pgha::rolling
