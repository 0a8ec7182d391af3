#include "resources/vm_common.h"

#include <cstdlib>

#include "base/strings.h"
#include "libvirt/connection.h"
#include "resources/guest.h"
#include "value/accessors.h"

namespace pgha::resources {
using value::Diagnostics;
using value::Elements;
using value::GetString;
using value::Path;
using value::Value;

std::string ResolveUri(const Value& state, const Context& ctx) {
  std::string uri = GetString(state, "uri");
  if (uri.empty()) uri = GetString(ctx.provider_config, "uri");
  if (uri.empty()) {
    const char* env = std::getenv("LIBVIRT_DEFAULT_URI");
    uri = env && *env ? env : "qemu:///system";
  }
  return uri;
}

void ValidateVm(const Value& config, Diagnostics& diags) {
  const Value& nets = config.GetAttr("network_interface");
  const Value& taps = config.GetAttr("macvtap_interface");
  if (nets.IsKnown() && taps.IsKnown() && nets.Length() + taps.Length() == 0) {
    diags.AddError("No network interface",
                   "Give the VM at least one network_interface (a libvirt network) or macvtap_interface block: the "
                   "first one is the address the service advertises.",
                   Path::Of("network_interface"));
  }
  const auto& nics = Elements(config, "network_interface");
  for (size_t i = 0; i < nics.size(); ++i) {
    const Value& nic = nics[i];
    const Value& name = nic.GetAttr("network_name");
    const Value& id = nic.GetAttr("network_id");
    if (name.IsKnown() && id.IsKnown() && !(name.IsNull() ^ id.IsNull())) {
      diags.AddError("Give network_name or network_id",
                     "Each network_interface names its libvirt network by network_name or by network_id, not both "
                     "and not neither.",
                     Path::Of("network_interface").Index(static_cast<int64_t>(i)));
    }
  }
  for (const char* kind : {"network_interface", "macvtap_interface"}) {
    const auto& blocks = Elements(config, kind);
    for (size_t i = 0; i < blocks.size(); ++i) {
      std::string mac = GetString(blocks[i], "mac");
      bool ok = mac.size() == 17;
      for (size_t c = 0; ok && c < mac.size(); ++c) ok = c % 3 == 2 ? mac[c] == ':' : std::isxdigit(static_cast<unsigned char>(mac[c]));
      if (!mac.empty() && !ok) {
        diags.AddError("Invalid MAC address", pgha::StrCat("\"", mac, "\" is not a MAC address like 52:54:00:12:34:56."),
                       Path::Of(kind).Index(static_cast<int64_t>(i)).Attr("mac"));
      }
      const std::string ip = GetString(blocks[i], "ip");
      const int64_t prefix = value::GetInt(blocks[i], "prefix_length", -1);
      if (!ip.empty() && ip.find(':') == std::string::npos && prefix > 32) {
        diags.AddError("Invalid prefix length", "An IPv4 prefix length is at most 32.",
                       Path::Of(kind).Index(static_cast<int64_t>(i)).Attr("prefix_length"));
      }
    }
  }
}

void PlanVmDefaults(const Value& config, Value& planned) {
  const Value& name = config.GetAttr("name");
  if (config.GetAttr("cloud_init_volume_name").IsNull() && planned.GetAttr("cloud_init_volume_name").IsUnknown() &&
      name.IsKnown()) {
    planned = planned.WithAttr("cloud_init_volume_name", Value::String(name.AsString() + "-cloud-init.iso"));
  }
}

absl::StatusOr<MachineSpec> PrepareMachine(const Value& planned, const Context& ctx) {
  MachineSpec m;
  const std::string name = GetString(planned, "name");
  m.uri = ResolveUri(planned, ctx);
  m.seed_pool = GetString(planned, "cloud_init_volume_pool");
  m.seed_volume = GetString(planned, "cloud_init_volume_name", name + "-cloud-init.iso");
  m.running = value::GetBool(planned, "running", true);
  m.autostart = value::GetBool(planned, "autostart", true);

  libvirt::DomainSpec& d = m.domain;
  d.name = name;
  d.type = GetString(planned, "domain_type", "kvm");
  d.memory_mib = value::GetInt(planned, "memory", 8192);
  d.vcpus = value::GetInt(planned, "vcpus", 2);
  const std::string model = GetString(planned, "cpu_model");
  if (!model.empty()) {
    d.cpu_mode = "custom";
    d.cpu_model = model;
  } else {
    d.cpu_mode = d.type == "kvm" ? "host-passthrough" : "custom";
  }
  if (d.type == "qemu") d.tcg_tb_cache_mib = 128;  // qemu's 1 GiB default doubles each guest's RSS
  d.kernel = GetString(planned, "kernel");
  d.initrd = GetString(planned, "initrd");
  d.cmdline = GetString(planned, "cmdline");
  d.console_log = GetString(planned, "console_log");
  d.description = "Managed by Terraform through pgha.";

  auto conn = libvirt::Connection::Open(m.uri);
  if (!conn.ok()) return conn.status();
  const char* letters = "bcdefgh";
  size_t disk_index = 0;
  for (const auto& [attr, format_attr] : {std::pair{"volume_id", "volume_format"}, {"data_volume_id", "data_volume_format"}}) {
    const std::string key = GetString(planned, attr);
    if (key.empty()) continue;
    auto ref = conn->ResolveVolume(key);
    if (!ref.ok()) return absl::Status(ref.status().code(), pgha::StrCat(attr, ": ", ref.status().message()));
    // The declared format, never libvirt's probe of the volume's bytes: a guest
    // that writes a qcow2 header naming a backing file onto its raw disk must
    // not make qemu open (and libvirt chown) that host file at the next create.
    const std::string format = GetString(planned, format_attr);
    d.disks.push_back({libvirt::DiskSpec::Device::kDisk, ref->path, format,
                       disk_index == 0 ? "vda" : pgha::StrCat("vd", std::string(1, letters[disk_index - 1])),
                       "virtio", false});
    ++disk_index;
  }

  size_t nic_index = 0;
  for (const char* kind : {"network_interface", "macvtap_interface"}) {
    for (const auto& block : Elements(planned, kind)) {
      libvirt::InterfaceSpec nic;
      nic.mac = InterfaceMac(block, name, nic_index);
      if (std::string(kind) == "network_interface") {
        nic.kind = libvirt::InterfaceSpec::Kind::kNetwork;
        nic.network = GetString(block, "network_name");
        if (nic.network.empty()) {
          auto net = conn->NetworkNameByUuid(GetString(block, "network_id"));
          if (!net.ok()) return net.status();
          nic.network = *net;
        }
      } else {
        nic.kind = libvirt::InterfaceSpec::Kind::kMacvtap;
        nic.host_device = GetString(block, "interface");
      }
      d.interfaces.push_back(nic);
      ++nic_index;
    }
  }

  return m;
}

Value WithMachineState(const Value& planned, const MachineState& state, const GuestDocuments& docs) {
  Value s = planned;
  s = s.WithAttr("id", Value::String(state.uuid));
  s = s.WithAttr("user_data", Value::String(docs.seed.user_data));
  s = s.WithAttr("user_data_digest", Value::String(docs.digest));
  return s;
}

}  // namespace pgha::resources
