#include "resources/machine_resource.h"

#include "agent/libvirt_channel.h"
#include "base/duration.h"
#include "base/strings.h"
#include "health/health.h"
#include "resources/machine.h"
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

// `timeouts.create` or `timeouts.update` (validated at plan time; the schema holds the defaults).
std::chrono::seconds TimeoutOf(const Reader& config, const char* which) {
  const auto d = pgha::ParseDuration(config.Object("timeouts").String(which));
  return std::chrono::duration_cast<std::chrono::seconds>(d.value_or(std::chrono::minutes(30)));
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

Value MachineResource::Create(const Context& ctx, const Value& planned, Diagnostics& diags) const {
  const auto started = Clock::now();
  const std::string what = pgha::StrCat("Cannot create the ", role_->noun(), " VM");
  auto docs = Render(planned);
  if (!docs.ok()) {
    diags.AddError(what, pgha::StrCat("rendering cloud-init failed: ", docs.status().message()));
    return Value::Null(schema().type);
  }
  auto machine = PrepareMachine(Reader(schema().block, planned), ctx);
  if (!machine.ok()) {
    diags.AddError(what, std::string(machine.status().message()));
    return Value::Null(schema().type);
  }
  machine->seed = docs->seed;
  role_->AdjustDomain(machine->domain);
  auto state = CreateMachine(*machine, ctx.cancel);
  if (!state.ok()) {
    diags.AddError(what, std::string(state.status().message()));
    return Value::Null(schema().type);
  }
  return AwaitHealthy(ctx, WithMachineState(planned, *state, *docs), "create", started, what, diags);
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
  // Computed facts only: they never make a diff by themselves.
  s = WithHealth(s, m.running ? ProbeOnce(RefOf(Reader(schema().block, s), ctx), role_->service()) : std::nullopt);
  return WithDiskFormats(s, m);
}

Value MachineResource::Update(const Context& ctx, const Value& prior, const Value& planned, Diagnostics& diags) const {
  const auto started = Clock::now();
  const std::string what = pgha::StrCat("Cannot update the ", role_->noun(), " VM");
  const Reader before(schema().block, prior);
  const Reader after(schema().block, planned);
  MachineRef ref = RefOf(before, ctx);
  const bool running = after.Bool("running");
  Value out = planned;
  const Value& digest = planned.GetAttr("user_data_digest");
  if (!digest.IsKnown() || digest.AsString() != before.String("user_data_digest")) {
    auto docs = Render(planned);
    if (!docs.ok()) {
      diags.AddError(what, pgha::StrCat("rendering cloud-init failed: ", docs.status().message()));
      return prior;
    }
    const bool restart = running && after.String("apply_cloud_init_changes") == "reboot";
    auto replaced = ReplaceSeed(ref, docs->seed, restart, ShutdownGrace(after), ctx.cancel);
    if (!replaced.ok()) {
      diags.AddError(what, std::string(replaced.message()));
      return prior;
    }
    out = out.WithAttr("user_data", Value::String(docs->seed.user_data));
    out = out.WithAttr("user_data_digest", Value::String(docs->digest));
  }
  auto status = UpdateMachine(ref, running, after.Bool("autostart"), ShutdownGrace(after), ctx.cancel);
  if (!status.ok()) {
    diags.AddError(what, std::string(status.message()));
    return prior;
  }
  return AwaitHealthy(ctx, out, "update", started, what, diags);
}

void MachineResource::Delete(const Context& ctx, const Value& state, Diagnostics& diags) const {
  const Reader reader(schema().block, state);
  auto status = DeleteMachine(RefOf(reader, ctx), ShutdownGrace(reader), ctx.cancel);
  if (!status.ok()) diags.AddError(pgha::StrCat("Cannot delete the ", role_->noun(), " VM"), std::string(status.message()));
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
