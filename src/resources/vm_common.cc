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

std::string ResolveUri(const std::string& resource_uri, const Context& ctx) {
  std::string uri = resource_uri;
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

std::string DefaultSeedVolumeName(const std::string& vm_name) { return vm_name + "-cloud-init.iso"; }

void PlanVmDefaults(const Value& config, Value& planned) {
  const Value& name = config.GetAttr("name");
  if (config.GetAttr("cloud_init_volume_name").IsNull() && planned.GetAttr("cloud_init_volume_name").IsUnknown() &&
      name.IsKnown()) {
    planned = planned.WithAttr("cloud_init_volume_name", Value::String(DefaultSeedVolumeName(name.AsString())));
  }
}

absl::StatusOr<MachineSpec> PrepareMachine(const schema::Reader& planned, const Context& ctx) {
  MachineSpec m;
  const std::string name = planned.String("name");
  m.uri = ResolveUri(planned.String("uri"), ctx);
  m.seed_pool = planned.String("cloud_init_volume_pool");
  m.seed_volume = planned.IsSet("cloud_init_volume_name") ? planned.String("cloud_init_volume_name")
                                                          : DefaultSeedVolumeName(name);
  m.running = planned.Bool("running");
  m.autostart = planned.Bool("autostart");

  libvirt::DomainSpec& d = m.domain;
  d.name = name;
  d.type = planned.String("domain_type");
  d.memory_mib = planned.Int("memory");
  d.vcpus = planned.Int("vcpus");
  const std::string model = planned.String("cpu_model");
  if (!model.empty()) {
    d.cpu_mode = "custom";
    d.cpu_model = model;
  } else {
    d.cpu_mode = d.type == "kvm" ? "host-passthrough" : "custom";
  }
  if (d.type == "qemu") d.tcg_tb_cache_mib = 128;  // qemu's 1 GiB default doubles each guest's RSS
  d.kernel = planned.String("kernel");
  d.initrd = planned.String("initrd");
  d.cmdline = planned.String("cmdline");
  d.console_log = planned.String("console_log");
  d.description = "Managed by Terraform through pgha.";

  auto conn = libvirt::Connection::Open(m.uri);
  if (!conn.ok()) return conn.status();
  const char* letters = "bcdefgh";
  size_t disk_index = 0;
  for (const auto& [attr, format_attr] : {std::pair{"volume_id", "volume_format"}, {"data_volume_id", "data_volume_format"}}) {
    const std::string key = planned.String(attr);
    if (key.empty()) continue;
    auto ref = conn->ResolveVolume(key);
    if (!ref.ok()) return absl::Status(ref.status().code(), pgha::StrCat(attr, ": ", ref.status().message()));
    // The declared format, never libvirt's probe of the volume's bytes: a guest
    // that writes a qcow2 header naming a backing file onto its raw disk must
    // not make qemu open (and libvirt chown) that host file at the next create.
    const std::string format = planned.String(format_attr);
    d.disks.push_back({libvirt::DiskSpec::Device::kDisk, ref->path, format,
                       disk_index == 0 ? "vda" : pgha::StrCat("vd", std::string(1, letters[disk_index - 1])),
                       "virtio", false});
    ++disk_index;
  }

  size_t nic_index = 0;
  for (const char* kind : {"network_interface", "macvtap_interface"}) {
    for (const auto& block : planned.Objects(kind)) {
      libvirt::InterfaceSpec nic;
      nic.mac = InterfaceMac(block, name, nic_index);
      if (std::string(kind) == "network_interface") {
        nic.kind = libvirt::InterfaceSpec::Kind::kNetwork;
        nic.network = block.String("network_name");
        if (nic.network.empty()) {
          auto net = conn->NetworkNameByUuid(block.String("network_id"));
          if (!net.ok()) return net.status();
          nic.network = *net;
        }
      } else {
        nic.kind = libvirt::InterfaceSpec::Kind::kMacvtap;
        nic.host_device = block.String("interface");
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
