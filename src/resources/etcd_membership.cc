#include "resources/etcd_membership.h"

#include <algorithm>

#include "base/crash_point.h"
#include "base/strings.h"
#include "etcd/membership.h"
#include "resources/timeouts.h"
#include "rolling/slots.h"
#include "schema/reader.h"

namespace pgha::resources {
namespace {

using schema::Reader;
using value::Diagnostics;
using value::Path;
using value::Value;
using Clock = std::chrono::steady_clock;

etcd::Client ClientFor(const Reader& r) {
  etcd::Credentials c;
  c.ca_pem = r.String("ca_cert");
  c.cert_pem = r.String("client_cert");
  c.key_pem = r.String("client_key");
  if (r.IsSet("root_password")) {
    c.user = "root";
    c.password = r.String("root_password");
  }
  return etcd::Client(r.Strings("endpoints"), c);
}

// One member of a cluster changes at a time (etcd 3.4 takes one learner; its guide says one at a
// time). The cluster is named by its endpoints, the same in every resource of one cluster.
std::string ClusterKey(const Reader& r) {
  auto endpoints = r.Strings("endpoints");
  std::sort(endpoints.begin(), endpoints.end());
  std::string key = "etcd-membership";
  for (const auto& e : endpoints) key += "|" + e;
  return key;
}


Value WithMember(Value state, const etcd::Member& m) {
  state = state.WithAttr("member_id", Value::String(etcd::HexId(m.id)));
  state = state.WithAttr("id", Value::String(etcd::HexId(m.id)));
  return state.WithAttr("is_learner", Value::Bool(m.learner));
}

}  // namespace

void EtcdMembership::ValidateConfig(const Value& config, Diagnostics& diags) const {
  const Reader r(schema().block, config);
  const Value& password = config.GetAttr("root_password");
  const Value& cert = config.GetAttr("client_cert");
  if (password.IsNull() && cert.IsNull()) {  // unknown (known at apply) is not missing
    diags.AddError("No credential for etcd's root",
                   "Adding and removing members needs etcd's root role: give `root_password` (the "
                   "`authentication_bootstrap.root_password` of the member that bootstrapped authentication), or a "
                   "client certificate whose common name is `root` in `client_cert` and `client_key`.",
                   Path::Of("root_password"));
  }
  const Value& endpoints = config.GetAttr("endpoints");
  if (endpoints.IsWhollyKnown() && !endpoints.IsNull() && endpoints.Elements().empty()) {
    diags.AddError("No endpoint", "Give the client URL of at least one member of the cluster.", Path::Of("endpoints"));
  }
}

void EtcdMembership::PlanDestroy(const Context&, const Value& prior, Diagnostics& diags) const {
  const Reader r(schema().block, prior);
  const std::vector<std::string> planned = rolling::ClusterSlots::Process().PlanLeaving(ClusterKey(r), r.String("peer_url"));
  etcd::Client client = ClientFor(r);
  auto members = client.MemberList();
  if (!members.ok()) {
    diags.AddWarning("Cannot check the removal against etcd's quorum now",
                     pgha::StrCat("The member list could not be read (", members.status().message(),
                                  "); the removal is checked again when it is applied."),
                     Path::Of("endpoints"));
    return;
  }
  if (auto s = etcd::CheckRemovals(*members, planned); !s.ok()) {
    diags.AddError("Removal would break etcd's quorum",
                   pgha::StrCat("This plan removes ", r.String("name"), " (", r.String("peer_url"), ") together with ",
                                planned.size() - 1, " other member(s): ", s.message(), ". Nothing was changed."),
                   Path::Of("peer_url"));
  }
}

Value EtcdMembership::Create(const Context& ctx, const Value& planned, Diagnostics& diags) const {
  const Reader r(schema().block, planned);
  const std::string what = pgha::StrCat("Cannot add ", r.String("name"), " to the etcd cluster");
  const auto deadline = Clock::now() + TimeoutOf(r, "create");
  const auto cancelled = [&ctx] { return ctx.cancel.cancelled(); };
  auto hold = rolling::ClusterSlots::Process().Acquire(ClusterKey(r), r.String("name"), false, deadline, cancelled);
  if (!hold.ok()) {
    diags.AddError(what, pgha::StrCat("Nothing was changed: ", hold.status().message()));
    return Value::Null(schema().type);
  }
  etcd::Client client = ClientFor(r);
  const std::string peer_url = r.String("peer_url");
  auto added = etcd::JoinAsLearner(client, peer_url, deadline, cancelled);
  if (!added.ok()) {
    diags.AddError(what, pgha::StrCat("Nothing was changed: ", added.status().message()));
    return Value::Null(schema().type);
  }
  PGHA_CRASH_POINT("membership.learner_added");
  Value state = WithMember(planned, added->member);
  state = state.WithAttr("initial_cluster", Value::String(etcd::InitialCluster(added->members, r.String("name"), peer_url)));
  if (auto promoted = etcd::PromoteWhenInSync(client, peer_url, deadline, cancelled); !promoted.ok()) {
    // The learner stays in the cluster and in the state (tainted): the next apply removes it and tries again.
    diags.AddError(what, pgha::StrCat("It was added as a learner (", etcd::HexId(added->member.id),
                                      ") but not promoted: ", promoted.message()));
    return state;
  }
  return state.WithAttr("is_learner", Value::Bool(false));
}

Value EtcdMembership::Read(const Context&, const Value& state, Diagnostics& diags) const {
  const Reader r(schema().block, state);
  etcd::Client client = ClientFor(r);
  auto members = client.MemberList();
  if (!members.ok()) {
    diags.AddWarning(pgha::StrCat("Cannot read ", r.String("name"), "'s etcd membership"),
                     pgha::StrCat(members.status().message(), ". The state keeps what was last seen."),
                     Path::Of("endpoints"));
    return state;
  }
  auto m = etcd::FindByPeerUrl(*members, r.String("peer_url"));
  if (!m) return Value::Null(schema().type);  // removed behind Terraform's back: the next apply adds it
  return WithMember(state, *m);
}

Value EtcdMembership::Update(const Context&, const Value& prior, const Value& planned, Diagnostics&) const {
  // Endpoints, credentials, timeouts: how pgha reaches the cluster, nothing in it.
  return planned.WithAttr("is_learner", prior.GetAttr("is_learner"));
}

void EtcdMembership::Delete(const Context& ctx, const Value& state, Diagnostics& diags) const {
  const Reader r(schema().block, state);
  const std::string what = pgha::StrCat("Cannot remove ", r.String("name"), " from the etcd cluster");
  const auto deadline = Clock::now() + TimeoutOf(r, "delete");
  const auto cancelled = [&ctx] { return ctx.cancel.cancelled(); };
  auto hold = rolling::ClusterSlots::Process().Acquire(ClusterKey(r), r.String("name"), false, deadline, cancelled);
  if (!hold.ok()) {
    diags.AddError(what, pgha::StrCat("Nothing was changed: ", hold.status().message()));
    return;
  }
  etcd::Client client = ClientFor(r);
  if (auto left = etcd::LeaveSafely(client, r.String("peer_url"), deadline, cancelled); !left.ok()) {
    diags.AddError(what, pgha::StrCat("It is still a member: ", left.message()));
  }
}

}  // namespace pgha::resources
