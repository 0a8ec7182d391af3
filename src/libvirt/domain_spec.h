// A typed description of a libvirt domain and its rendering to domain XML.
// Knows libvirt and qemu, not Patroni: resources fill it in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgha::libvirt {

struct DiskSpec {
  enum class Device { kDisk, kCdrom };
  Device device = Device::kDisk;
  std::string source_file;  // a volume's path on the host
  std::string format;  // qcow2, raw: what the volume is declared as, never probed
  std::string target_dev;   // vda, vdb, sda...
  std::string bus = "virtio";
  bool read_only = false;
};

struct InterfaceSpec {
  enum class Kind { kNetwork, kMacvtap };
  Kind kind = Kind::kNetwork;
  std::string network;      // libvirt network name, for kNetwork
  std::string host_device;  // host interface, for kMacvtap
  std::string mac;          // empty: libvirt picks one
};

// No defaults here: the resources fill every field from their schema (schemas/).
struct DomainSpec {
  std::string name;
  // Empty when defining a new domain (libvirt assigns one); an existing
  // domain's own UUID when redefining it in place.
  std::string uuid;
  // "kvm" where hardware virtualisation works; "qemu" (TCG) everywhere else.
  std::string type;
  int64_t memory_mib = 0;
  int64_t vcpus = 0;
  // "host-passthrough" (KVM), or "custom" with a named model such as "qemu64" for TCG.
  std::string cpu_mode;
  std::string cpu_model;
  // Direct kernel boot when set; otherwise the first disk boots.
  std::string kernel, initrd, cmdline;
  std::vector<DiskSpec> disks;
  std::vector<InterfaceSpec> interfaces;
  // Where the serial console is logged on the host (empty: no log file).
  std::string console_log;
  // TCG translation cache; qemu's default 1 GiB doubles each guest's RSS.
  std::optional<int64_t> tcg_tb_cache_mib;
  // A hardware watchdog (e.g. "i6300esb") that resets the guest when its
  // user stops feeding it; empty for none.
  std::string watchdog_model;
  // Free text kept in <description>, e.g. who manages the domain.
  std::string description;
};

std::string RenderDomainXml(const DomainSpec& spec);
// One <disk> element, for attaching or changing media on a defined domain.
std::string RenderDiskXml(const DiskSpec& disk);

}  // namespace pgha::libvirt
