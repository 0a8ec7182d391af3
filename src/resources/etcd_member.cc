#include "resources/etcd_member.h"

#include <set>

#include "base/strings.h"
#include "pki/pem.h"
#include "resources/machine.h"
#include "resources/vm_common.h"
#include "roles/etcd.h"
#include "value/accessors.h"

namespace pgha::resources {
namespace {

using value::Diagnostics;
using value::GetBool;
using value::GetString;
using value::Path;
using value::Value;

std::chrono::milliseconds ShutdownGrace(const Value& state) {
  return std::chrono::seconds(value::GetInt(state, "shutdown_timeout", 60));
}

// A single block read with its defaults when the user left it out.
const Value& Block(const Value& obj, const std::string& name) { return obj.GetAttr(name); }

}  // namespace

void EtcdMember::ValidateConfig(const Value& config, Diagnostics& diags) const {
  ValidateVm(config, diags);
  const Value& cluster = config.GetAttr("cluster");
  if (cluster.IsKnown() && cluster.GetAttr("initial_members").IsWhollyKnown()) {
    std::set<std::string> names;
    bool self = false;
    const auto& members = cluster.GetAttr("initial_members");
    for (size_t i = 0; !members.IsNull() && i < members.Elements().size(); ++i) {
      const std::string name = GetString(members.Elements()[i], "name");
      if (!names.insert(name).second) {
        diags.AddError("Duplicate member name", pgha::StrCat("\"", name, "\" appears twice in initial_members."),
                       Path::Of("cluster").Attr("initial_members").Index(static_cast<int64_t>(i)).Attr("name"));
      }
      self |= config.GetAttr("name").IsKnown() && name == config.GetAttr("name").AsString();
    }
    if (config.GetAttr("name").IsKnown() && !self && GetBool(cluster, "is_initializing")) {
      diags.AddError("Member missing from initial_members",
                     "A member of an initializing cluster must list itself in cluster.initial_members, under the same "
                     "name as its `name`.",
                     Path::Of("cluster").Attr("initial_members"));
    }
  }
  const Value& auth = config.GetAttr("authentication_bootstrap");
  const Value& etcd = config.GetAttr("etcd");
  const bool cert_auth = !etcd.IsKnown() || GetBool(etcd, "client_cert_auth", true);
  if (auth.IsKnown() && GetBool(auth, "bootstrap") && !cert_auth && auth.GetAttr("root_password").IsNull()) {
    diags.AddError("Root password missing",
                   "With etcd.client_cert_auth = false the bootstrapping member needs authentication_bootstrap."
                   "root_password for the root user.",
                   Path::Of("authentication_bootstrap").Attr("root_password"));
  }
  // The certificate should cover the advertised address and 127.0.0.1 (auth bootstrap dials it).
  const Value& tls = config.GetAttr("tls");
  const std::string ip = AdvertisedIp(config);
  if (tls.IsKnown() && tls.GetAttr("server_cert").IsKnown() && !ip.empty()) {
    auto certs = pki::ParseCertificates(tls.GetAttr("server_cert").AsString());
    if (certs.ok()) {
      X509* cert = certs->front().get();
      for (const std::string& addr : {ip, std::string("127.0.0.1")}) {
        if (X509_check_ip_asc(cert, addr.c_str(), 0) != 1) {
          diags.AddWarning("Certificate does not cover an address etcd uses",
                           pgha::StrCat("tls.server_cert has no IP SAN for ", addr,
                                        "; peers and clients connecting there will refuse it."),
                           Path::Of("tls").Attr("server_cert"));
        }
      }
    }
  }
}

void EtcdMember::ModifyPlan(const Context&, const Value&, const Value& config, schema::PlannedChange& plan,
                            Diagnostics&) const {
  if (plan.planned.IsNull()) return;
  PlanVmDefaults(config, plan.planned);
}

Value EtcdMember::Create(const Context& ctx, const Value& planned, Diagnostics& diags) const {
  auto vm = PrepareVm(planned, ctx);
  if (!vm.ok()) {
    diags.AddError("Cannot create the etcd member VM", std::string(vm.status().message()));
    return Value::Null(schema().type);
  }
  roles::EtcdMember member;
  member.name = GetString(planned, "name");
  member.ip = AdvertisedIp(planned);
  const Value& cluster = Block(planned, "cluster");
  member.is_initializing = GetBool(cluster, "is_initializing", true);
  member.initial_token = GetString(cluster, "initial_token");
  const Value& members = cluster.GetAttr("initial_members");
  if (members.IsKnown()) {
    for (const auto& m : members.Elements()) member.initial_members.emplace_back(GetString(m, "name"), GetString(m, "ip"));
  }
  const Value& etcd = Block(planned, "etcd");
  member.auto_compaction_mode = GetString(etcd, "auto_compaction_mode", "revision");
  member.auto_compaction_retention = GetString(etcd, "auto_compaction_retention", "1000");
  member.space_quota = value::GetInt(etcd, "space_quota", int64_t{8} << 30);
  member.grpc_gateway_enabled = GetBool(etcd, "grpc_gateway_enabled", false);
  member.client_cert_auth = GetBool(etcd, "client_cert_auth", true);
  const Value& auth = Block(planned, "authentication_bootstrap");
  member.bootstrap_auth = GetBool(auth, "bootstrap", false);
  member.root_password = GetString(auth, "root_password");
  const Value& tls = Block(planned, "tls");
  member.ca_cert = GetString(tls, "ca_cert");
  member.server_cert = GetString(tls, "server_cert");
  member.server_key = GetString(tls, "server_key");

  auto role = roles::RenderEtcd(member);
  if (!role.ok()) {
    diags.AddError("Cannot render the etcd configuration", std::string(role.status().message()));
    return Value::Null(schema().type);
  }
  cloudinit::CloudConfig config = vm->cloud_config;
  config.write_files = role->files;
  config.runcmd = role->runcmd;
  if (GetBool(planned, "install_dependencies", true)) config.packages = role->packages;
  if (!GetString(planned, "data_volume_id").empty()) config.data_disk = cloudinit::DataDisk{"/dev/vdb", role->data_path};

  std::string digest;
  vm->machine.seed = SealDocuments(config, vm->interfaces, member.name, &digest);
  auto state = CreateMachine(vm->machine, ctx.cancel);
  if (!state.ok()) {
    diags.AddError("Cannot create the etcd member VM", std::string(state.status().message()));
    return Value::Null(schema().type);
  }
  return WithMachineState(planned, *state, vm->machine.seed, digest);
}

Value EtcdMember::Read(const Context& ctx, const Value& state, Diagnostics& diags) const {
  auto machine = ReadMachine(ResolveUri(state, ctx), GetString(state, "name"));
  if (!machine.ok()) {
    diags.AddError("Cannot read the etcd member VM", std::string(machine.status().message()));
    return state;
  }
  if (!machine->has_value()) return Value::Null(schema().type);  // deleted behind Terraform's back
  const MachineState& m = **machine;
  Value s = state;
  // What libvirt reports wins: a changed VM shows as a diff in the next plan.
  s = s.WithAttr("running", Value::Bool(m.running));
  s = s.WithAttr("autostart", Value::Bool(m.autostart));
  s = s.WithAttr("vcpus", Value::Int(m.vcpus));
  s = s.WithAttr("memory", Value::Int(m.memory_mib));
  s = s.WithAttr("id", Value::String(m.uuid));
  return s;
}

Value EtcdMember::Update(const Context& ctx, const Value&, const Value& planned, Diagnostics& diags) const {
  auto status = UpdateMachine(ResolveUri(planned, ctx), GetString(planned, "name"), GetBool(planned, "running", true),
                              GetBool(planned, "autostart", false), ShutdownGrace(planned), ctx.cancel);
  if (!status.ok()) {
    diags.AddError("Cannot update the etcd member VM", std::string(status.message()));
    return Value::Null(schema().type);
  }
  return planned;
}

void EtcdMember::Delete(const Context& ctx, const Value& state, Diagnostics& diags) const {
  auto status = DeleteMachine(ResolveUri(state, ctx), GetString(state, "name"),
                              GetString(state, "cloud_init_volume_pool"), GetString(state, "cloud_init_volume_name"),
                              ShutdownGrace(state), ctx.cancel);
  if (!status.ok()) diags.AddError("Cannot delete the etcd member VM", std::string(status.message()));
}

}  // namespace pgha::resources
