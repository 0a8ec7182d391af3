// A client of etcd's v3 gRPC API for what changes a cluster's membership
// (proto/etcd/etcdserver.proto): the member list, adding a learner,
// promoting it, removing a member, moving the leadership, and one member's
// status. TLS always, verified against the cluster's CA; the caller is
// etcd's root (a client certificate whose CN is `root`, or root's
// password, which is sent only in Authenticate and never logged).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace grpc {
class Channel;
}

namespace pgha::etcd {

struct Credentials {
  std::string ca_pem;              // verifies every member's certificate
  std::string cert_pem, key_pem;   // a client certificate; with client-cert-auth its CN is the user
  std::string user, password;      // a user and password; etcd prefers them to the certificate's CN
};

struct Member {
  uint64_t id = 0;
  std::string name;  // empty until an added member has started
  std::vector<std::string> peer_urls, client_urls;
  bool learner = false;
};

struct MemberStatus {
  uint64_t id = 0, leader = 0;
  uint64_t raft_index = 0, applied_index = 0;
  bool learner = false;
  std::string version;
};

// etcd's own spelling of a member ID (etcdctl prints hex).
std::string HexId(uint64_t id);

// The call got no answer (Unavailable, DeadlineExceeded), as from a member that is down or too
// busy to reply in time; anything else is an answer, a refusal included.
bool NoAnswer(const absl::Status& s);

class Client {
 public:
  // `endpoints` are client URLs (https://10.0.0.11:2379). Nothing is dialed
  // before the first call; a call goes to the first endpoint that answers.
  Client(std::vector<std::string> endpoints, Credentials credentials,
         std::chrono::milliseconds call_timeout = std::chrono::seconds(10));
  ~Client();

  absl::StatusOr<std::vector<Member>> MemberList();
  // The new member, and the list it belongs to now.
  struct Added {
    Member member;
    std::vector<Member> members;
  };
  absl::StatusOr<Added> AddLearner(const std::string& peer_url);
  absl::Status Promote(uint64_t id);
  absl::Status Remove(uint64_t id);
  // One member's own view, asked at `endpoint` (one of its client URLs).
  absl::StatusOr<MemberStatus> Status(const std::string& endpoint);
  // Asked of the leader (`leader_endpoint`): hand the leadership to `target`.
  absl::Status MoveLeader(const std::string& leader_endpoint, uint64_t target);

 private:
  struct Connection;
  // The connection to `endpoint`, logged in if a password is set.
  absl::StatusOr<Connection*> Connect(const std::string& endpoint);
  // One call at `endpoint`, logging in again once if etcd says the token expired.
  template <typename Call>
  absl::Status OnEndpoint(const std::string& endpoint, const char* what, Call&& call);
  // The call at the first endpoint that answers.
  template <typename Call>
  absl::Status OnAnyEndpoint(const char* what, Call&& call);

  const std::vector<std::string> endpoints_;
  const Credentials credentials_;
  const std::chrono::milliseconds call_timeout_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Connection>> connections_;
};

}  // namespace pgha::etcd
