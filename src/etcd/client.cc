#include "etcd/client.h"

#include <cstdio>

#include "base/strings.h"
#include "etcd/etcdserver.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace pgha::etcd {

std::string HexId(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

namespace {

// "https://10.0.0.11:2379" -> "10.0.0.11:2379": gRPC checks the certificate against the host part.
std::string TargetOf(const std::string& endpoint) {
  std::string target = endpoint;
  if (const auto scheme = target.find("://"); scheme != std::string::npos) target = target.substr(scheme + 3);
  while (!target.empty() && target.back() == '/') target.pop_back();
  return target;
}

absl::Status FromGrpc(const grpc::Status& s, const std::string& endpoint, const char* what) {
  if (s.ok()) return absl::OkStatus();
  // gRPC's codes are absl's, number for number.
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      pgha::StrCat(what, " at ", endpoint, ": ", s.error_message()));
}

// Worth trying the next endpoint: this one did not answer, or is no voting member (a learner).
bool TryNext(const absl::Status& s) {
  return NoAnswer(s) || s.message().find("rpc not supported for learner") != absl::string_view::npos;
}

Member FromProto(const etcdserverpb::Member& m) {
  Member out;
  out.id = m.id();
  out.name = m.name();
  out.peer_urls.assign(m.peerurls().begin(), m.peerurls().end());
  out.client_urls.assign(m.clienturls().begin(), m.clienturls().end());
  out.learner = m.islearner();
  return out;
}

std::vector<Member> FromProto(const google::protobuf::RepeatedPtrField<etcdserverpb::Member>& members) {
  std::vector<Member> out;
  for (const auto& m : members) out.push_back(FromProto(m));
  return out;
}

}  // namespace

bool NoAnswer(const absl::Status& s) { return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s); }

struct Client::Connection {
  std::string endpoint;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth;
  std::string token;  // a simple token is known only to the member that issued it
};

Client::Client(std::vector<std::string> endpoints, Credentials credentials, std::chrono::milliseconds call_timeout)
    : endpoints_(std::move(endpoints)), credentials_(std::move(credentials)), call_timeout_(call_timeout) {}

Client::~Client() = default;

absl::StatusOr<Client::Connection*> Client::Connect(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = connections_[endpoint];
  if (!slot) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = credentials_.ca_pem;
    tls.pem_private_key = credentials_.key_pem;
    tls.pem_cert_chain = credentials_.cert_pem;
    auto c = std::make_unique<Connection>();
    c->endpoint = endpoint;
    c->channel = grpc::CreateChannel(TargetOf(endpoint), grpc::SslCredentials(tls));
    c->cluster = etcdserverpb::Cluster::NewStub(c->channel);
    c->maintenance = etcdserverpb::Maintenance::NewStub(c->channel);
    c->auth = etcdserverpb::Auth::NewStub(c->channel);
    slot = std::move(c);
  }
  Connection* c = slot.get();
  if (!credentials_.password.empty() && c->token.empty()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + call_timeout_);
    etcdserverpb::AuthenticateRequest req;
    req.set_name(credentials_.user.empty() ? "root" : credentials_.user);
    req.set_password(credentials_.password);
    etcdserverpb::AuthenticateResponse resp;
    if (auto s = FromGrpc(c->auth->Authenticate(&ctx, req, &resp), endpoint, "logging in to etcd"); !s.ok()) return s;
    c->token = resp.token();
  }
  return c;
}

template <typename Call>
absl::Status Client::OnEndpoint(const std::string& endpoint, const char* what, Call&& call) {
  absl::Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto c = Connect(endpoint);
    if (!c.ok()) return c.status();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + call_timeout_);
    if (!(*c)->token.empty()) ctx.AddMetadata("token", (*c)->token);
    last = FromGrpc(call(**c, ctx), endpoint, what);
    // An expired simple token (etcd's --auth-token-ttl): log in again once.
    if (attempt > 0 || last.message().find("invalid auth token") == absl::string_view::npos) break;
    std::lock_guard<std::mutex> lock(mu_);
    (*c)->token.clear();
  }
  return last;
}

template <typename Call>
absl::Status Client::OnAnyEndpoint(const char* what, Call&& call) {
  if (endpoints_.empty()) return absl::InvalidArgumentError("no etcd endpoint to call");
  absl::Status last;
  for (const auto& endpoint : endpoints_) {
    last = OnEndpoint(endpoint, what, call);
    if (last.ok() || !TryNext(last)) return last;
  }
  return last;
}

absl::StatusOr<std::vector<Member>> Client::MemberList() {
  etcdserverpb::MemberListResponse resp;
  auto s = OnAnyEndpoint("listing etcd's members", [&](Connection& c, grpc::ClientContext& ctx) {
    return c.cluster->MemberList(&ctx, etcdserverpb::MemberListRequest(), &resp);
  });
  if (!s.ok()) return s;
  return FromProto(resp.members());
}

absl::StatusOr<Client::Added> Client::AddLearner(const std::string& peer_url) {
  etcdserverpb::MemberAddRequest req;
  req.add_peerurls(peer_url);
  req.set_islearner(true);
  etcdserverpb::MemberAddResponse resp;
  auto s = OnAnyEndpoint("adding an etcd learner", [&](Connection& c, grpc::ClientContext& ctx) {
    return c.cluster->MemberAdd(&ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return Added{FromProto(resp.member()), FromProto(resp.members())};
}

absl::Status Client::Promote(uint64_t id) {
  etcdserverpb::MemberPromoteRequest req;
  req.set_id(id);
  etcdserverpb::MemberPromoteResponse resp;
  return OnAnyEndpoint("promoting an etcd learner", [&](Connection& c, grpc::ClientContext& ctx) {
    return c.cluster->MemberPromote(&ctx, req, &resp);
  });
}

absl::Status Client::Remove(uint64_t id) {
  etcdserverpb::MemberRemoveRequest req;
  req.set_id(id);
  etcdserverpb::MemberRemoveResponse resp;
  return OnAnyEndpoint("removing an etcd member", [&](Connection& c, grpc::ClientContext& ctx) {
    return c.cluster->MemberRemove(&ctx, req, &resp);
  });
}

absl::StatusOr<MemberStatus> Client::Status(const std::string& endpoint) {
  etcdserverpb::StatusResponse resp;
  auto s = OnEndpoint(endpoint, "reading etcd's status", [&](Connection& c, grpc::ClientContext& ctx) {
    return c.maintenance->Status(&ctx, etcdserverpb::StatusRequest(), &resp);
  });
  if (!s.ok()) return s;
  MemberStatus out;
  out.id = resp.header().member_id();
  out.leader = resp.leader();
  out.raft_index = resp.raftindex();
  out.applied_index = resp.raftappliedindex();
  out.learner = resp.islearner();
  out.version = resp.version();
  return out;
}

absl::Status Client::MoveLeader(const std::string& leader_endpoint, uint64_t target) {
  etcdserverpb::MoveLeaderRequest req;
  req.set_targetid(target);
  etcdserverpb::MoveLeaderResponse resp;
  return OnEndpoint(leader_endpoint, "moving etcd's leadership", [&](Connection& c, grpc::ClientContext& ctx) {
    return c.maintenance->MoveLeader(&ctx, req, &resp);
  });
}

}  // namespace pgha::etcd
