#include "etcd/membership.h"

#include <algorithm>
#include <thread>

#include "base/strings.h"
#include "log/log.h"

namespace pgha::etcd {
namespace {

using Clock = std::chrono::steady_clock;

bool Mentions(const absl::Status& s, const char* text) { return s.message().find(text) != absl::string_view::npos; }


// Sleeps a little; false when the wait should end (cancelled or past the deadline).
bool Pause(Deadline deadline, const Cancelled& cancelled, std::chrono::milliseconds step = std::chrono::seconds(1)) {
  const auto until = std::min(deadline, Clock::now() + step);
  while (Clock::now() < until) {
    if (cancelled && cancelled()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Clock::now() < deadline && !(cancelled && cancelled());
}

absl::Status Ended(Deadline deadline, const std::string& what) {
  if (Clock::now() >= deadline) return absl::DeadlineExceededError(pgha::StrCat("timed out ", what));
  return absl::CancelledError(pgha::StrCat("cancelled ", what));
}

std::string Describe(const Member& m) {
  return pgha::StrCat(m.name.empty() ? std::string("(not started)") : m.name, " (", HexId(m.id), ")");
}

int Voters(const std::vector<Member>& members) {
  return static_cast<int>(std::count_if(members.begin(), members.end(), [](const Member& m) { return !m.learner; }));
}

}  // namespace

std::optional<Member> FindByPeerUrl(const std::vector<Member>& members, const std::string& peer_url) {
  for (const auto& m : members) {
    if (std::find(m.peer_urls.begin(), m.peer_urls.end(), peer_url) != m.peer_urls.end()) return m;
  }
  return std::nullopt;
}

std::string InitialCluster(const std::vector<Member>& members, const std::string& name, const std::string& peer_url) {
  std::string out;
  for (const auto& m : members) {
    const bool joining = std::find(m.peer_urls.begin(), m.peer_urls.end(), peer_url) != m.peer_urls.end();
    for (const auto& url : m.peer_urls) {
      if (!out.empty()) out += ",";
      out += pgha::StrCat(joining ? name : m.name, "=", url);
    }
  }
  return out;
}

// The waits below ask again when a call gets no answer (NoAnswer: seen on an overloaded host, a
// login timed out while the new member was still catching up), until their own deadline; an
// answer (a refusal, a wrong password) ends them.
absl::StatusOr<Client::Added> JoinAsLearner(Client& client, const std::string& peer_url, Deadline deadline,
                                            const Cancelled& cancelled) {
  std::string waiting_for;
  do {
    auto members = client.MemberList();
    if (!members.ok() && NoAnswer(members.status())) {
      waiting_for = pgha::StrCat("no answer: ", members.status().message());
      continue;
    }
    if (!members.ok()) return members.status();
    if (auto found = FindByPeerUrl(*members, peer_url)) return Client::Added{*found, *members};  // a retry
    auto added = client.AddLearner(peer_url);
    if (added.ok()) return added;
    // No answer: the next round's member list tells whether the learner was added after all.
    if (NoAnswer(added.status())) {
      waiting_for = pgha::StrCat("no answer: ", added.status().message());
      continue;
    }
    // Another learner is still catching up (etcd 3.4 allows one), or the cluster is not ready
    // for a new member (--strict-reconfig-check): wait for it; anything else is an answer.
    if (!Mentions(added.status(), "too many learner") && !Mentions(added.status(), "unhealthy cluster")) {
      return added.status();
    }
    waiting_for = std::string(added.status().message());
  } while (Pause(deadline, cancelled, std::chrono::seconds(2)));
  return Ended(deadline, pgha::StrCat("adding ", peer_url, " to etcd: ", waiting_for));
}

absl::Status PromoteWhenInSync(Client& client, const std::string& peer_url, Deadline deadline,
                               const Cancelled& cancelled) {
  std::string last = "it has not started";
  do {
    auto members = client.MemberList();
    if (!members.ok() && NoAnswer(members.status())) {
      last = pgha::StrCat("the cluster did not answer: ", members.status().message());
      continue;
    }
    if (!members.ok()) return members.status();
    auto m = FindByPeerUrl(*members, peer_url);
    if (!m) {
      return absl::NotFoundError(pgha::StrCat("no etcd member has the peer URL ", peer_url,
                                              " any more (removed by someone else?)"));
    }
    if (!m->learner) return absl::OkStatus();
    if (!m->name.empty()) {  // started: etcd promotes it once it has 90 % of the leader's log
      auto promoted = client.Promote(m->id);
      if (promoted.ok()) return absl::OkStatus();
      if (NoAnswer(promoted)) {
        last = pgha::StrCat("the promotion got no answer: ", promoted.message());
        continue;
      }
      if (!Mentions(promoted, "in sync") && !Mentions(promoted, "can only promote a learner")) return promoted;
      last = "it is still catching up with the leader";
    }
  } while (Pause(deadline, cancelled));
  return Ended(deadline, pgha::StrCat("waiting to promote the etcd learner at ", peer_url, ": ", last,
                                      ". Its etcd must start with initial-cluster-state `existing` and an "
                                      "initial-cluster that lists the current members and itself"));
}

int Quorum(int voters) { return voters / 2 + 1; }

bool KeepsQuorum(int voters, int removing) { return voters - removing >= Quorum(voters); }

absl::Status CheckRemovals(const std::vector<Member>& members, const std::vector<std::string>& peer_urls) {
  const int voters = Voters(members);
  int removing = 0;
  for (const auto& url : peer_urls) {
    if (auto m = FindByPeerUrl(members, url); m && !m->learner) ++removing;
  }
  if (removing == 0 || KeepsQuorum(voters, removing)) return absl::OkStatus();
  const int quorum = Quorum(voters);
  return absl::FailedPreconditionError(pgha::StrCat(
      "removing ", removing, " of the etcd cluster's ", voters, " voting members leaves ", voters - removing,
      ", fewer than its quorum of ", quorum,
      (voters - removing >= 1 ? ". Remove them in separate applies: one at a time, each step keeps a quorum"
                              : ". The last member of a cluster cannot be removed; destroy the cluster instead")));
}

absl::Status LeaveSafely(Client& client, const std::string& peer_url, Deadline deadline, const Cancelled& cancelled,
                         const LeavingService& service) {
  auto members = client.MemberList();
  if (!members.ok()) return members.status();
  const auto target = FindByPeerUrl(*members, peer_url);
  if (!target) return absl::OkStatus();  // gone already (a retry)
  bool may_stop = target->learner;  // a learner never counts towards the quorum
  if (!target->learner) {
    if (auto s = CheckRemovals(*members, {peer_url}); !s.ok()) return s;
    // The voters that stay must be a healthy quorum of the cluster they leave behind.
    int healthy = 0;
    std::vector<Member> healthy_voters;
    uint64_t leader = 0;
    for (const auto& m : *members) {
      if (m.learner || m.id == target->id) continue;
      for (const auto& url : m.client_urls) {
        if (auto status = client.Status(url); status.ok()) {
          ++healthy;
          healthy_voters.push_back(m);
          leader = status->leader;
          break;
        }
      }
    }
    const int staying = Voters(*members) - 1;
    if (healthy < Quorum(staying)) {
      return absl::FailedPreconditionError(pgha::StrCat(
          "removing ", Describe(*target), " would leave ", healthy, " healthy voting member(s) of ", staying,
          ", fewer than a quorum: bring the others back first"));
    }
    // A leader hands its leadership to a healthy voter first: the cluster never waits for an
    // election. A leader that does not answer any more cannot: its peers elect another one (the
    // removal below waits for that).
    bool target_answers = false;
    for (const auto& url : target->client_urls) target_answers = target_answers || client.Status(url).ok();
    if (leader == target->id && target_answers) {
      const Member& next = healthy_voters.front();
      if (auto s = client.MoveLeader(target->client_urls.front(), next.id); !s.ok()) return s;
      bool moved = false;
      do {
        if (auto status = client.Status(next.client_urls.front()); status.ok() && status->leader != target->id) {
          moved = true;
          break;
        }
      } while (Pause(deadline, cancelled, std::chrono::milliseconds(200)));
      if (!moved) return Ended(deadline, pgha::StrCat("moving etcd's leadership away from ", Describe(*target)));
    }
    may_stop = healthy >= Quorum(Voters(*members));
  }
  bool stopped = false;
  if (service.stop && may_stop) {
    if (auto s = service.stop(); s.ok()) {
      stopped = true;
    } else {  // removed while it runs, as without a way to stop it
      const std::string who = Describe(*target), error(s.message());
      log::Warn("could not stop the leaving etcd member first", {{"member", who}, {"error", error}});
    }
  }
  const auto failed = [&](absl::Status s) {
    if (stopped && service.start) {
      if (auto started = service.start(); !started.ok()) {
        s = absl::Status(s.code(), pgha::StrCat(s.message(), "; starting its etcd again failed too: ", started.message()));
      }
    }
    return s;
  };
  // A leader that just took over refuses a removal until it has heard from every member
  // (--strict-reconfig-check: "unhealthy cluster"): ask again for a while.
  // So does a cluster between leaders (a dead leader's peers are electing one).
  absl::Status removed;
  do {
    removed = client.Remove(target->id);
    if (removed.ok() || Mentions(removed, "member not found")) return absl::OkStatus();
    const bool passing = Mentions(removed, "unhealthy cluster") || Mentions(removed, "leader changed") ||
                         Mentions(removed, "no leader") || absl::IsUnavailable(removed) ||
                         absl::IsDeadlineExceeded(removed);
    if (!passing) return failed(removed);
  } while (Pause(deadline, cancelled));
  return failed(Ended(deadline, pgha::StrCat("removing ", Describe(*target), ": ", removed.message())));
}

}  // namespace pgha::etcd
