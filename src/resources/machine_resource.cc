#include "resources/machine_resource.h"

#include <algorithm>

#include "agent/libvirt_channel.h"
#include "base/crash_point.h"
#include "base/strings.h"
#include "absl/strings/str_join.h"
#include "health/health.h"
#include "rolling/cascade.h"
#include "rolling/guest_script.h"
#include "rolling/patroni_config.h"
#include "rolling/slots.h"
#include "rolling/switchover.h"
#include "resources/machine.h"
#include "resources/timeouts.h"
#include "resources/vm_common.h"
#include "schema/reader.h"

namespace pgha::resources {
namespace {

using schema::Reader;
using value::Diagnostics;
using value::Value;

using Clock = std::chrono::steady_clock;

// Attributes pgha computes rather than reads.
constexpr const char* kOutputs[] = {"id", "user_data", "user_data_digest", "cloud_init_volume_name", "healthy", "role",
                                    "member_id", "is_leader", "lag_bytes", "timeline"};

// The machine a state (or plan) describes, found by the UUID it recorded.
MachineRef RefOf(const Reader& state, const Context& ctx) {
  return {ResolveUri(state.String("uri"), ctx), state.String("id"), state.String("name"),
          state.String("cloud_init_volume_pool"), state.String("cloud_init_volume_name")};
}

// The disk formats the domain opens its volumes with: a change by hand shows in the plan.
Value WithDiskFormats(Value s, const MachineState& m) {
  if (!m.disk_formats.empty()) s = s.WithAttr("volume_format", Value::String(m.disk_formats[0]));
  if (m.disk_formats.size() > 1) s = s.WithAttr("data_volume_format", Value::String(m.disk_formats[1]));
  return s;
}

std::chrono::milliseconds ShutdownGrace(const Reader& state) { return std::chrono::seconds(state.Int("shutdown_timeout")); }

// True when every input the documents depend on is known.
bool InputsKnown(const Value& planned) {
  Value inputs = planned;
  for (const char* name : kOutputs) {
    if (planned.type().attributes().contains(name)) {
      inputs = inputs.WithAttr(name, Value::Null(planned.GetAttr(name).type()));
    }
  }
  return inputs.IsWhollyKnown();
}

// An object of `type` with every attribute null.
Value NullObject(const value::Type& type) {
  std::map<std::string, Value> attrs;
  for (const auto& [name, t] : type.attributes()) attrs.emplace(name, Value::Null(t));
  return Value::Object(std::move(attrs));
}

// Runs each command in the guest in turn, stopping at the first that fails or exits non-zero.
absl::Status RunEach(agent::GuestAgent& agent, const agent::LibvirtChannel& channel,
                     const std::vector<std::vector<std::string>>& commands, std::chrono::seconds deadline) {
  for (const auto& argv : commands) {
    auto out = agent.Run({.argv = argv, .deadline = deadline});
    if (!out.ok()) return out.status();
    if (out->exit_code != 0) {
      return absl::FailedPreconditionError(pgha::StrCat("`", absl::StrJoin(argv, " "), "` in ", channel.Describe(),
                                                        " exited ", out->exit_code, ": ", out->err.substr(0, 500)));
    }
  }
  return absl::OkStatus();
}

// The health attributes from what a probe saw (nullopt: nothing answered).
Value WithHealth(Value s, const std::optional<health::Health>& h) {
  const auto& attrs = s.type().attributes();
  const bool healthy = h && h->healthy;
  s = s.WithAttr("healthy", Value::Bool(healthy));
  s = s.WithAttr("role", Value::String(healthy ? h->role : ""));
  if (attrs.contains("member_id")) {
    s = s.WithAttr("member_id", Value::String(h ? h->member_id : ""));
    s = s.WithAttr("is_leader", Value::Bool(h && h->is_leader.value_or(false)));
  }
  if (attrs.contains("lag_bytes")) {
    s = s.WithAttr("lag_bytes", h && h->lag_bytes ? Value::Int(*h->lag_bytes) : Value::Null(value::Type::Number()));
    s = s.WithAttr("timeline", h && h->timeline ? Value::Int(*h->timeline) : Value::Null(value::Type::Number()));
  }
  return s;
}

// One look at the service, for Read: a VM that does not answer is simply not healthy.
std::optional<health::Health> ProbeOnce(const MachineRef& ref, health::Service service) {
  agent::LibvirtChannel channel(ref.uri, ref.uuid, ref.name);
  agent::GuestAgent agent(channel);
  auto h = health::Probe(agent, service);
  if (!h.ok()) return std::nullopt;
  return *h;
}

}  // namespace

// Waits for the service when asked, within what is left of the operation's
// timeout, and records what was seen. On failure the state still describes
// the VM (so nothing leaks) and the diagnostic says what was last seen.
Value MachineResource::AwaitHealthy(const Context& ctx, const Value& state, const char* operation,
                                    Clock::time_point started, const std::string& what, Diagnostics& diags) const {
  const Reader config(schema().block, state);
  const MachineRef ref = RefOf(config, ctx);
  if (!config.Bool("running")) return WithHealth(state, std::nullopt);
  if (!config.Bool("wait_for_healthy")) {
    // A VM created just now cannot answer yet; an updated one may.
    return WithHealth(state, std::string_view(operation) == "create" ? std::nullopt : ProbeOnce(ref, role_->service()));
  }
  if (std::string_view(operation) == "create") PGHA_CRASH_POINT("create.waiting_for_health");
  const auto budget = TimeoutOf(config, operation);
  const auto spent = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
  agent::LibvirtChannel channel(ref.uri, ref.uuid, ref.name);
  agent::GuestAgent agent(channel, [&ctx] { return ctx.cancel.cancelled(); });
  health::WaitOptions options;
  options.timeout = std::max(std::chrono::seconds(1), budget - spent);
  options.cancelled = [&ctx] { return ctx.cancel.cancelled(); };
  auto h = health::WaitHealthy(agent, role_->service(), options);
  if (h.ok()) return WithHealth(state, *h);
  diags.AddError(what, pgha::StrCat("The VM ", ref.name, " is ", absl::IsCancelled(h.status()) ? "up, but the apply was interrupted before its " : "up, but its ",
                                    role_->noun(), absl::IsCancelled(h.status()) ? " was healthy." : pgha::StrCat(" is ", h.status().message()),
                                    "\nThe VM stays in Terraform's state", std::string_view(operation) == "create" ? " (tainted: the next apply replaces it unless you `terraform untaint` it once it is healthy)." : "."));
  return WithHealth(state, std::nullopt);
}

absl::StatusOr<GuestDocuments> MachineResource::Render(const Value& planned) const {
  const Reader config(schema().block, planned);
  auto role = role_->Render(config);
  if (!role.ok()) return role.status();
  return RenderGuest(config, *role, config.IsSet("data_volume_id") ? "/dev/vdb" : "");
}

void MachineResource::ValidateConfig(const Value& config, Diagnostics& diags) const {
  const Reader reader(schema().block, config);
  ValidateVm(config, diags);
  ValidateGuest(reader, diags);
  role_->Validate(reader, diags);
}

void MachineResource::ModifyPlan(const Context&, const Value& prior, const Value& config, schema::PlannedChange& plan,
                                 Diagnostics& diags) const {
  if (plan.planned.IsNull()) return;
  PlanVmDefaults(config, plan.planned);
  Value& planned = plan.planned;
  role_->PlanMembership(prior, planned, diags);
  if (!InputsKnown(planned)) {
    // Some input comes from a resource not applied yet: the documents are known after apply.
    if (prior.IsNull() || !(planned == prior)) {
      planned = planned.WithAttr("user_data", Value::Unknown(value::Type::String()));
      planned = planned.WithAttr("user_data_digest", Value::Unknown(value::Type::String()));
    }
    return;
  }
  auto docs = Render(planned);
  if (!docs.ok()) {
    diags.AddError(pgha::StrCat("Cannot render the ", role_->noun(), "'s configuration"),
                   std::string(docs.status().message()));
    return;
  }
  // Known at plan time: a change shows as a diff and is applied in place.
  planned = planned.WithAttr("user_data", Value::String(docs->seed.user_data));
  planned = planned.WithAttr("user_data_digest", Value::String(docs->digest));
}

// A plan that destroys members of a cluster with a member list of its own must keep its quorum:
// refused here, before anything changes, when the member's own view of the cluster says it would
// not. A plan that destroys every member (a destroy) is fine.
void MachineResource::PlanDestroy(const Context& ctx, const Value& prior, Diagnostics& diags) const {
  if (!role_->KeepsMembership()) return;
  const Reader r(schema().block, prior);
  const std::string cluster = role_->ClusterKey(r);
  if (cluster.empty() || !r.Bool("running")) return;
  const MachineRef ref = RefOf(r, ctx);
  auto& slots = rolling::ClusterSlots::Process();
  slots.PlanLeaving(cluster, ref.name);
  const auto seen = ProbeOnce(ref, role_->service());
  if (!seen || seen->member_names.empty()) return;  // no view now: Delete checks again (Leave)
  // The destroys of one plan arrive together; give the others a moment to be counted.
  absl::Status keeps;
  for (int i = 0; i < 12; ++i) {
    keeps = role_->CheckLeaving(seen->member_names, slots.PlanLeaving(cluster, ref.name));
    if (keeps.ok() || ctx.cancel.WaitFor(std::chrono::milliseconds(250))) break;
  }
  if (!keeps.ok()) {
    diags.AddError(pgha::StrCat("Destroying ", ref.name, " would cost its cluster its quorum"),
                   std::string(keeps.message()), value::Path::Of("name"));
  }
}

absl::StatusOr<libvirt::DomainSpec> MachineResource::DomainFor(const Reader& config, const Context& ctx) const {
  auto machine = PrepareMachine(config, ctx);
  if (!machine.ok()) return machine.status();
  role_->AdjustDomain(machine->domain);
  return machine->domain;
}

Value MachineResource::Create(const Context& ctx, const Value& planned_config, Diagnostics& diags) const {
  const auto started = Clock::now();
  const auto deadline = started + TimeoutOf(Reader(schema().block, planned_config), "create");
  const auto cancelled = [&ctx] { return ctx.cancel.cancelled(); };
  const std::string what = pgha::StrCat("Cannot create the ", role_->noun(), " VM");
  // The second half of a replacement: a candidate again, and the turn its Delete kept.
  std::optional<rolling::ClusterSlots::Presence> present;
  std::optional<rolling::ClusterSlots::Hold> hold;
  const Reader config(schema().block, planned_config);
  {
    value::Diagnostics preflight;
    role_->Preflight(config, ResolveUri(config.String("uri"), ctx), ctx.now, cancelled, preflight);
    diags.Append(preflight);
    if (preflight.HasError()) return Value::Null(schema().type);  // nothing was made
  }
  if (const std::string cluster = role_->ClusterKey(config); !cluster.empty()) {
    const std::string name = config.String("name");
    present.emplace(rolling::ClusterSlots::Process().Arrive(cluster, name));
    rolling::ClusterSlots::Process().MarkArriving(cluster, name);
    if (auto claimed = rolling::ClusterSlots::Process().Claim(cluster, name)) hold.emplace(std::move(*claimed));
    // A member joining a running cluster changes its membership: in the cluster's turn, one at a time.
    if (!hold && role_->Joins(config)) {
      auto held = rolling::ClusterSlots::Process().Acquire(cluster, name, false, deadline, cancelled);
      if (!held.ok()) {
        diags.AddError(what, pgha::StrCat("Nothing was changed: ", held.status().message()));
        return Value::Null(schema().type);
      }
      hold.emplace(std::move(*held));
    }
  }
  // A member of a running cluster is added to it first: its documents name the members it finds.
  auto joined = role_->Join(config, deadline, cancelled);
  if (!joined.ok()) {
    diags.AddError(what, pgha::StrCat("Nothing was created: joining the cluster failed: ", joined.status().message()));
    return Value::Null(schema().type);
  }
  const Value& planned = *joined;
  const Reader member(schema().block, planned);
  // Whatever fails before the VM exists takes the member out of the cluster again.
  const auto leave = [&] {
    if (!role_->Joins(member)) return;
    if (auto left = role_->Leave(member, {}, Clock::now() + std::chrono::minutes(2), cancelled, {}); !left.ok()) {
      diags.AddWarning(pgha::StrCat(member.String("name"), " may still be listed as a member"),
                       pgha::StrCat("Taking it out of its cluster again failed: ", left.message(),
                                    ". The next apply that creates it finds it there and goes on."));
    }
  };
  auto docs = Render(planned);
  if (!docs.ok()) {
    diags.AddError(what, pgha::StrCat("rendering cloud-init failed: ", docs.status().message()));
    leave();
    return Value::Null(schema().type);
  }
  auto machine = PrepareMachine(member, ctx);
  if (!machine.ok()) {
    diags.AddError(what, std::string(machine.status().message()));
    leave();
    return Value::Null(schema().type);
  }
  machine->seed = docs->seed;
  role_->AdjustDomain(machine->domain);
  auto state = CreateMachine(*machine, ctx.cancel);
  if (!state.ok()) {
    diags.AddError(what, std::string(state.status().message()));
    leave();
    return Value::Null(schema().type);
  }
  Value created = WithMachineState(planned, *state, *docs);
  if (member.Bool("running")) {
    if (auto admitted = role_->Admit(member, deadline, cancelled); !admitted.ok()) {
      // The VM stays in the state (tainted): the next apply replaces it, which takes it out first.
      diags.AddError(what, pgha::StrCat("The VM ", member.String("name"), " runs but did not become a full member: ",
                                        admitted.message(), "\nThe VM stays in Terraform's state (tainted)."));
      return WithHealth(created, std::nullopt);
    }
  }
  return AwaitHealthy(ctx, created, "create", started, what, diags);
}

Value MachineResource::Read(const Context& ctx, const Value& state, Diagnostics& diags) const {
  auto machine = ReadMachine(RefOf(Reader(schema().block, state), ctx));
  if (!machine.ok()) {
    diags.AddError(pgha::StrCat("Cannot read the ", role_->noun(), " VM"), std::string(machine.status().message()));
    return state;
  }
  // Deleted behind Terraform's back, or the name now belongs to another domain: gone either way.
  if (!machine->has_value()) return Value::Null(schema().type);
  const MachineState& m = **machine;
  // What libvirt reports wins: a changed VM shows as a diff in the next plan.
  Value s = state;
  s = s.WithAttr("running", Value::Bool(m.running));
  s = s.WithAttr("autostart", Value::Bool(m.autostart));
  s = s.WithAttr("vcpus", Value::Int(m.vcpus));
  s = s.WithAttr("memory", Value::Int(m.memory_mib));
  s = s.WithAttr("id", Value::String(m.uuid));
  s = s.WithAttr("name", Value::String(m.name));  // renamed by hand: the plan shows it
  // Computed facts only: they never make a diff by themselves. A service that answers but is not
  // healthy says why, as a warning on the plan.
  const auto seen = m.running ? ProbeOnce(RefOf(Reader(schema().block, s), ctx), role_->service()) : std::nullopt;
  if (seen && !seen->healthy) {
    diags.AddWarning(pgha::StrCat(m.name, " is not healthy"),
                     pgha::StrCat("Its ", role_->noun(), " reports: ", seen->problem.empty() ? "no reason given" : seen->problem,
                                  ". The state records healthy = false; nothing was changed."));
  }
  s = WithHealth(s, seen);
  return WithDiskFormats(s, m);
}

// What an update does to the running guest beyond libvirt: the files to
// write live and how they take effect, or a reboot.
struct MachineResource::GuestChange {
  std::vector<cloudinit::WriteFile> writes;
  roles::LiveEffect effect;
  // Files the prior render wrote and this one does not: their units stop, then they go, first.
  roles::LiveEffect retire;
  bool reboot = false;

  bool empty() const { return writes.empty() && retire.commands.empty(); }
};

MachineResource::GuestChange MachineResource::PlanGuestChange(const Value& prior, const GuestDocuments& next,
                                                              const std::string& mode, bool was_running) const {
  GuestChange change;
  if (mode == "next_boot" || !was_running) return change;
  if (mode == "reboot") {
    change.reboot = true;
    return change;
  }
  // live: what changed, file by file. A prior that no longer renders (written by an older pgha)
  // counts every file as changed.
  auto before = Render(prior);
  if (before.ok() && before->seed.network_config != next.seed.network_config) {
    change.reboot = true;  // addressing cannot change under a running guest's feet
    return change;
  }
  std::vector<std::string> paths;
  for (const auto& f : next.files) {
    bool same = false;
    if (before.ok()) {
      for (const auto& old : before->files) {
        if (old.path == f.path) same = old.content == f.content && old.owner == f.owner && old.permissions == f.permissions;
      }
    }
    if (same) continue;
    change.writes.push_back(f);
    paths.push_back(f.path);
  }
  change.effect = role_->LiveEffect(paths);
  change.effect.Append(roles::HostAgentsLiveEffect(paths));
  if (before.ok()) {
    std::vector<std::string> removed, kept;
    for (const auto& f : next.files) kept.push_back(f.path);
    for (const auto& old : before->files) {
      if (std::find(kept.begin(), kept.end(), old.path) == kept.end()) removed.push_back(old.path);
    }
    change.retire = roles::RetireEffect(removed, kept);
  }
  return change;
}

// Before a disruptive step: the cluster's slot (one member at a time, leaders
// last), every other member healthy, and a Patroni leader switched over.
absl::StatusOr<rolling::ClusterSlots::Hold> MachineResource::PrepareDisruption(const Context& ctx, const Reader& config,
                                                                                const MachineRef& ref,
                                                                                Clock::time_point deadline) const {
  const std::string cluster = role_->ClusterKey(config);
  if (cluster.empty()) return rolling::ClusterSlots::Hold();
  const auto cancelled = [&ctx] { return ctx.cancel.cancelled(); };
  const auto seen = ProbeOnce(ref, role_->service());
  const bool leader = seen && seen->role == "leader";
  auto hold = rolling::ClusterSlots::Process().Acquire(cluster, ref.name, leader, deadline, cancelled);
  if (!hold.ok()) return hold.status();
  // Every other member healthy before this one goes down (as this member sees the cluster).
  while (true) {
    const auto now = ProbeOnce(ref, role_->service());
    if (!now || !now->healthy || now->cluster_healthy) break;  // this member is down already: nothing to protect
    if (Clock::now() > deadline) {
      return absl::DeadlineExceededError(pgha::StrCat("the other members of ", ref.name,
                                                      "'s cluster did not become healthy in time; nothing was changed"));
    }
    if (ctx.cancel.WaitFor(std::chrono::seconds(3))) return absl::CancelledError("cancelled");
  }
  if (role_->service() == health::Service::kPatroni) {
    agent::LibvirtChannel channel(ref.uri, ref.uuid, ref.name);
    agent::GuestAgent agent(channel, cancelled);
    // Never to a member this apply is deleting.
    const auto leaving = rolling::ClusterSlots::Process().Leaving(cluster);
    // The other replicas stream from the candidate first (rolling/cascade.h), when pgha reaches
    // them: a domain of the member's name on this hypervisor.
    const rolling::RunCascade cascade = [&](const std::string& member, const std::vector<std::string>& args) {
      agent::LibvirtChannel other(ref.uri, "", member);
      agent::GuestAgent other_agent(other, cancelled);
      return rolling::RunGuestScript(other_agent, "agent/cascade.py", args,
                                     rolling::kCascadeWait + std::chrono::seconds(60));
    };
    std::optional<rolling::SwitchoverPlan> plan;
    if (leader) {
      auto planned = rolling::PlanSwitchover(agent, leaving);
      if (planned.ok() && *planned) plan = std::move(**planned);
    }
    if (plan) rolling::PointReplicasAtCandidate(*plan, cascade);
    const auto wait = std::max(std::chrono::seconds(10), std::chrono::duration_cast<std::chrono::seconds>(
                                                             std::min(deadline - Clock::now(), Clock::duration(std::chrono::seconds(120)))));
    auto moved = rolling::SwitchoverFrom(agent, wait, leaving);
    if (plan) rolling::ClearCascade(*plan, cascade);
    // An agent that does not answer: the node is not serving (not booted, broken); nothing to hand over.
    if (!moved.ok() && !absl::IsUnavailable(moved.status())) return moved.status();
  }
  return hold;
}

absl::Status MachineResource::ApplyLive(const Context& ctx, const MachineRef& ref, const GuestChange& change) const {
  if (change.empty()) return absl::OkStatus();
  agent::LibvirtChannel channel(ref.uri, ref.uuid, ref.name);
  agent::GuestAgent agent(channel, [&ctx] { return ctx.cancel.cancelled(); });
  if (auto retired = RunEach(agent, channel, change.retire.commands, std::chrono::seconds(120)); !retired.ok()) {
    return retired;
  }
  for (const auto& f : change.writes) {
    if (auto s = agent.WriteFile(f.path, f.content, f.owner, f.permissions); !s.ok()) return s;
  }
  return RunEach(agent, channel, change.effect.commands, std::chrono::seconds(300));
}

// Patroni applies bootstrap.dcs only when a cluster bootstraps: a changed
// configuration file on a running node goes on to PATCH /config, and when
// PostgreSQL then waits for a restart, the node restarts in its turn (the
// leader last, after a switchover).
absl::Status MachineResource::ApplyPatroniDynamicConfig(const Context& ctx, const Reader& config, const MachineRef& ref,
                                                        const GuestChange& change, Clock::time_point deadline,
                                                        std::optional<rolling::ClusterSlots::Hold>& hold) const {
  if (role_->service() != health::Service::kPatroni || change.writes.empty()) return absl::OkStatus();
  agent::LibvirtChannel channel(ref.uri, ref.uuid, ref.name);
  agent::GuestAgent agent(channel, [&ctx] { return ctx.cancel.cancelled(); });
  const auto loop = std::chrono::seconds(config.Object("patroni").Int("loop_wait") + 5);
  // The apply returns once the node serves what was written (a rotated certificate included).
  if (auto reloaded = rolling::WaitReloaded(agent, loop); absl::IsUnavailable(reloaded)) {
    return absl::OkStatus();  // no agent: ApplyLive warned already
  } else if (!reloaded.ok()) {
    return reloaded;
  }
  bool config_changed = false;
  for (const auto& f : change.writes) config_changed = config_changed || f.path == "/etc/patroni/config.yml";
  if (!config_changed) return absl::OkStatus();
  auto patched = rolling::SyncDynamicConfig(agent);
  if (absl::IsUnavailable(patched.status())) return absl::OkStatus();  // no agent: ApplyLive warned already
  if (!patched.ok()) return patched.status();
  auto pending = rolling::PendingRestart(agent, loop);
  if (!pending.ok()) return pending.status();
  if (!*pending) return absl::OkStatus();
  if (!hold) {
    auto held = PrepareDisruption(ctx, config, ref, deadline);
    if (!held.ok()) return held.status();
    hold.emplace(std::move(*held));
  }
  return rolling::RestartPending(agent);
}

Value MachineResource::Update(const Context& ctx, const Value& prior, const Value& planned, Diagnostics& diags) const {
  const auto started = Clock::now();
  const std::string what = pgha::StrCat("Cannot update the ", role_->noun(), " VM");
  const Reader before(schema().block, prior);
  const Reader after(schema().block, planned);
  MachineRef ref = RefOf(before, ctx);
  // Present in its cluster until the update is done: a leader's step waits for the others'.
  std::optional<rolling::ClusterSlots::Presence> present;
  if (const std::string cluster = role_->ClusterKey(after); !cluster.empty()) {
    present.emplace(rolling::ClusterSlots::Process().Arrive(cluster, ref.name));
  }
  const bool running = after.Bool("running");
  const bool was_running = before.Bool("running");
  const auto deadline = started + TimeoutOf(after, "update");
  Value out = planned;
  const Value& digest = planned.GetAttr("user_data_digest");
  std::optional<GuestDocuments> docs;
  GuestChange change;
  if (!digest.IsKnown() || digest.AsString() != before.String("user_data_digest")) {
    auto rendered = Render(planned);
    if (!rendered.ok()) {
      diags.AddError(what, pgha::StrCat("rendering cloud-init failed: ", rendered.status().message()));
      return prior;
    }
    docs = std::move(*rendered);
    change = PlanGuestChange(prior, *docs, after.String("apply_cloud_init_changes"), was_running && running);
  }
  // A new definition (size, disks, NICs, CPU model, kernel) takes a restart, which also boots the
  // new documents: no live change then.
  auto next_domain = DomainFor(after, ctx);
  if (!next_domain.ok()) {
    diags.AddError(what, std::string(next_domain.status().message()));
    return prior;
  }
  const auto prior_domain = DomainFor(before, ctx);
  const bool redefine =
      !prior_domain.ok() || libvirt::RenderDomainXml(*prior_domain) != libvirt::RenderDomainXml(*next_domain);
  if (redefine) change = GuestChange();
  // A step that takes the service down waits for its turn in the cluster, and a leader hands over first.
  const bool disruptive =
      change.reboot || change.effect.disruptive || (was_running && !running) || (redefine && was_running && running);
  std::optional<rolling::ClusterSlots::Hold> hold;
  if (disruptive) {
    auto held = PrepareDisruption(ctx, after, ref, deadline);
    if (!held.ok()) {
      diags.AddError(what, pgha::StrCat("Nothing was changed: ", held.status().message()));
      return prior;
    }
    hold.emplace(std::move(*held));
    PGHA_CRASH_POINT("update.holding_turn");
  }
  if (docs) {
    auto replaced = ReplaceSeed(ref, docs->seed, change.reboot, ShutdownGrace(after), ctx.cancel);
    if (!replaced.ok()) {
      diags.AddError(what, std::string(replaced.message()));
      return prior;
    }
    if (auto live = ApplyLive(ctx, ref, change); absl::IsUnavailable(live)) {
      // No agent in the guest (still booting, or an image without it): the seed is what it boots with.
      diags.AddWarning(pgha::StrCat("The change reaches ", ref.name, " at its next boot"),
                       pgha::StrCat("Its cloud-init volume holds the new documents, but they could not be applied live: ",
                                    live.message()));
    } else if (!live.ok()) {
      // The seed holds the new documents; the next apply writes the files again.
      diags.AddError(what, pgha::StrCat("The new cloud-init volume is in place, but applying the change to the running guest failed: ",
                                        live.message()));
      return prior;
    }
    if (auto dynamic = ApplyPatroniDynamicConfig(ctx, after, ref, change, deadline, hold); !dynamic.ok()) {
      diags.AddError(what, pgha::StrCat("The new files are in place, but Patroni's dynamic configuration could not be applied: ",
                                        dynamic.message()));
      return prior;
    }
    out = out.WithAttr("user_data", Value::String(docs->seed.user_data));
    out = out.WithAttr("user_data_digest", Value::String(docs->digest));
  }
  if (redefine) {
    auto redefined = RedefineMachine(ref, *next_domain, ShutdownGrace(after), ctx.cancel);
    if (!redefined.ok()) {
      diags.AddError(what, std::string(redefined.message()));
      return prior;
    }
  }
  auto status = UpdateMachine(ref, running, after.Bool("autostart"), ShutdownGrace(after), ctx.cancel);
  if (!status.ok()) {
    diags.AddError(what, std::string(status.message()));
    return prior;
  }
  return AwaitHealthy(ctx, out, "update", started, what, diags);
}

// Best effort: a guest that does not answer keeps its data, and a warning says what to do.
void MachineResource::RunRetireCommands(agent::GuestAgent& agent, const agent::LibvirtChannel& channel,
                                        const MachineRef& ref, Diagnostics& diags) const {
  const auto commands = role_->RetireCommands();
  if (commands.empty()) return;
  if (auto ran = RunEach(agent, channel, commands, std::chrono::seconds(60)); !ran.ok()) {
    diags.AddWarning(pgha::StrCat(ref.name, " left its cluster, but its data was not set aside"),
                     pgha::StrCat(ran.message(), ". A VM booted again from the same disks would start as the removed member."));
  }
}

void MachineResource::Delete(const Context& ctx, const Value& state, Diagnostics& diags) const {
  const auto started = Clock::now();
  const std::string what = pgha::StrCat("Cannot delete the ", role_->noun(), " VM");
  const Reader reader(schema().block, state);
  const MachineRef ref = RefOf(reader, ctx);
  const std::string cluster = role_->ClusterKey(reader);
  std::optional<rolling::ClusterSlots::Presence> present;
  if (!cluster.empty()) present.emplace(rolling::ClusterSlots::Process().Arrive(cluster, ref.name));
  // While other members of the cluster stay (a replacement, or a member removed), this one goes in
  // its turn like any disruption: the others healthy first, a Patroni leader switched over first.
  // When the whole cluster goes (a destroy), nobody waits on members that are going too.
  std::optional<rolling::ClusterSlots::Hold> hold;
  const auto deadline = started + TimeoutOf(reader, "delete");
  const auto cancelled = [&ctx] { return ctx.cancel.cancelled(); };
  std::vector<std::string> leaving;
  bool others_stay = false;
  if (!cluster.empty() && (reader.Bool("running") || role_->KeepsMembership())) {
    auto& slots = rolling::ClusterSlots::Process();
    slots.MarkLeaving(cluster, ref.name);
    ctx.cancel.WaitFor(std::chrono::seconds(2));  // deletes of one apply arrive together
    leaving = slots.Leaving(cluster);
  }
  if (!cluster.empty() && reader.Bool("running")) {
    const auto seen = ProbeOnce(ref, role_->service());
    others_stay = seen && std::any_of(seen->member_names.begin(), seen->member_names.end(), [&](const auto& m) {
      return std::find(leaving.begin(), leaving.end(), m) == leaving.end();
    });
    if (others_stay) {
      auto held = PrepareDisruption(ctx, reader, ref, deadline);
      if (!held.ok()) {
        diags.AddError(what, pgha::StrCat("It was not taken down: ", held.status().message()));
        return;
      }
      hold.emplace(std::move(*held));
    } else if (role_->service() == health::Service::kPatroni) {
      // The last members: a leader still hands over if a member that stays can take it.
      agent::LibvirtChannel channel(ref.uri, ref.uuid, ref.name);
      agent::GuestAgent agent(channel, cancelled);
      auto moved = rolling::SwitchoverFrom(agent, std::chrono::seconds(90), leaving);
      if (!moved.ok() && !absl::IsUnavailable(moved.status())) {
        diags.AddError(what, pgha::StrCat("It leads its Patroni cluster and could not hand over, so it was not taken down: ",
                                          moved.status().message()));
        return;
      }
    }
  }
  // A cluster with a member list of its own (etcd) loses the member before the VM: a member that
  // stays listed but never answers again costs the cluster its fault tolerance. When the whole
  // cluster goes (every member it lists is leaving, and the member saw no other), nobody is asked.
  const auto listed = role_->ListedMembers(reader);
  const bool all_listed_leave = std::all_of(listed.begin(), listed.end(), [&](const std::string& m) {
    return std::find(leaving.begin(), leaving.end(), m) != leaving.end();
  });
  if (role_->KeepsMembership() && (others_stay || !all_listed_leave)) {
    PGHA_CRASH_POINT("delete.leaving_cluster");
    agent::LibvirtChannel channel(ref.uri, ref.uuid, ref.name);
    agent::GuestAgent agent(channel, cancelled);
    const auto systemctl = [&](const char* verb) {
      return RunEach(agent, channel, {{"/bin/systemctl", verb, std::string(health::ServiceName(role_->service()))}},
                     std::chrono::seconds(60));
    };
    etcd::LeavingService service;
    if (reader.Bool("running")) {
      service.stop = [&] { return systemctl("stop"); };
      service.start = [&] { return systemctl("start"); };
    }
    auto left = role_->Leave(reader, leaving, deadline, cancelled, service);
    if (absl::IsUnavailable(left) && !others_stay) {
      diags.AddWarning(pgha::StrCat(ref.name, " was not taken out of its cluster"),
                       pgha::StrCat("The VM is deleted all the same: ", left.message(),
                                    ". If the cluster lives on, remove the member with etcdctl."));
    } else if (!left.ok()) {
      diags.AddError(what, pgha::StrCat("It is still a member of its cluster, so its VM was not deleted: ", left.message()));
      return;
    } else {
      PGHA_CRASH_POINT("delete.left_cluster");
      RunRetireCommands(agent, channel, ref, diags);
    }
  }
  auto status = DeleteMachine(ref, ShutdownGrace(reader), ctx.cancel);
  if (!status.ok()) {
    diags.AddError(what, std::string(status.message()));
    return;
  }
  // A replacement's Create follows at once and keeps the turn until the new member is healthy.
  if (hold) rolling::ClusterSlots::Process().Park(std::move(*hold), ref.name, std::chrono::seconds(30));
}

Value MachineResource::Import(const Context& ctx, const std::string& id, Diagnostics& diags) const {
  const std::string what = pgha::StrCat("Cannot import the ", role_->noun(), " VM");
  // "NAME", or "URI#NAME" for a VM on another hypervisor than the provider's (libvirt URIs have no fragment).
  Value s = NullObject(schema().type);
  std::string name = id;
  if (const auto hash = id.rfind('#'); hash != std::string::npos) {
    s = s.WithAttr("uri", Value::String(id.substr(0, hash)));
    name = id.substr(hash + 1);
  }
  const std::string uri = ResolveUri(Reader(schema().block, s).String("uri"), ctx);
  auto image = InspectMachine(uri, name);
  if (!image.ok()) {
    diags.AddError(what, absl::IsNotFound(image.status())
                             ? pgha::StrCat("No libvirt domain is named \"", name, "\" at ", uri,
                                            ". Import takes the domain's name, or URI#NAME for another hypervisor.")
                             : std::string(image.status().message()));
    return Value::Null(schema().type);
  }
  if (!image->seed && !image->managed) {
    diags.AddError(what, pgha::StrCat("Domain \"", name,
                                      "\" has no pgha cloud-init volume attached; pgha imports only VMs it created."));
    return Value::Null(schema().type);
  }
  const libvirt::DomainSpec& d = image->domain;
  // Defaults the user did not have to write.
  for (const auto& a : schema().block.attributes) {
    if (a.default_value) s = s.WithAttr(a.name, *a.default_value);
  }
  s = s.WithAttr("name", Value::String(name));
  s = s.WithAttr("id", Value::String(image->state.uuid));
  s = s.WithAttr("vcpus", Value::Int(d.vcpus));
  s = s.WithAttr("memory", Value::Int(d.memory_mib));
  s = s.WithAttr("domain_type", Value::String(d.type));
  s = s.WithAttr("running", Value::Bool(image->state.running));
  s = s.WithAttr("autostart", Value::Bool(image->state.autostart));
  // pgha's default CPU for the domain type reads back as no cpu_model.
  const bool default_cpu = d.type == "kvm" ? d.cpu_mode == "host-passthrough" : d.cpu_model == "qemu64";
  if (!default_cpu && !d.cpu_model.empty()) s = s.WithAttr("cpu_model", Value::String(d.cpu_model));
  for (const auto& [attr, text] : {std::pair<const char*, std::string>{"kernel", d.kernel},
                                   {"initrd", d.initrd},
                                   {"cmdline", d.cmdline},
                                   {"console_log", d.console_log}}) {
    if (!text.empty()) s = s.WithAttr(attr, Value::String(text));
  }
  size_t disk_index = 0;
  for (const auto& disk : d.disks) {
    if (disk.device != libvirt::DiskSpec::Device::kDisk) continue;
    s = s.WithAttr(disk_index == 0 ? "volume_id" : "data_volume_id", Value::String(disk.source_file));
    s = s.WithAttr(disk_index == 0 ? "volume_format" : "data_volume_format", Value::String(disk.format));
    if (++disk_index == 2) break;
  }
  s = s.WithAttr("cloud_init_volume_pool", Value::String(image->seed_pool));
  s = s.WithAttr("cloud_init_volume_name", Value::String(image->seed_volume));
  // A managed domain whose seed is gone imports with no documents: the next apply rebuilds the seed.
  s = s.WithAttr("user_data", Value::String(image->seed ? image->seed->user_data : ""));
  s = s.WithAttr("user_data_digest", Value::String(image->seed ? DocumentsDigest(*image->seed) : ""));
  // One block per NIC, with what libvirt knows; addressing comes from the config on the next apply.
  std::map<std::string, std::vector<Value>> nics = {{"network_interface", {}}, {"macvtap_interface", {}}};
  for (size_t i = 0; i < d.interfaces.size(); ++i) {
    const auto& nic = d.interfaces[i];
    const bool net = nic.kind == libvirt::InterfaceSpec::Kind::kNetwork;
    const char* kind = net ? "network_interface" : "macvtap_interface";
    Value block = NullObject(schema().type.attributes().at(kind).element());
    if (net) {
      block = block.WithAttr("network_name", Value::String(nic.network));
    } else {
      block = block.WithAttr("interface", Value::String(nic.host_device));
    }
    if (nic.mac != DerivedMac(name, i)) block = block.WithAttr("mac", Value::String(nic.mac));
    nics[kind].push_back(block);
  }
  for (auto& [kind, blocks] : nics) {
    s = s.WithAttr(kind, Value::List(schema().type.attributes().at(kind).element(), std::move(blocks)));
  }
  return s;
}

}  // namespace pgha::resources
