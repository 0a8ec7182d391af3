#include "libvirt/domain_spec.h"

#include "libvirt/xml_writer.h"

namespace pgha::libvirt {
namespace {

void AddDisk(XmlElement& disk, const DiskSpec& d) {
  disk.Attr("type", "file").Attr("device", d.device == DiskSpec::Device::kCdrom ? "cdrom" : "disk");
  disk.Child("driver").Attr("name", "qemu").Attr("type", d.format);
  if (!d.source_file.empty()) disk.Child("source").Attr("file", d.source_file);  // none: an empty drive
  disk.Child("target").Attr("dev", d.target_dev).Attr("bus", d.bus);
  if (d.read_only) disk.Child("readonly");
}

}  // namespace

std::string RenderDiskXml(const DiskSpec& disk) {
  XmlElement element("disk");
  AddDisk(element, disk);
  return element.Render();
}

std::string RenderDomainXml(const DomainSpec& spec) {
  XmlElement domain("domain");
  domain.Attr("type", spec.type);
  domain.TextChild("name", spec.name);
  if (!spec.uuid.empty()) domain.TextChild("uuid", spec.uuid);
  if (!spec.description.empty()) domain.TextChild("description", spec.description);
  domain.Child("memory").Attr("unit", "MiB").Text(std::to_string(spec.memory_mib));
  domain.Child("vcpu").Attr("placement", "static").Text(std::to_string(spec.vcpus));

  XmlElement& os = domain.Child("os");
  os.Child("type").Attr("arch", "x86_64").Attr("machine", "pc").Text("hvm");
  if (!spec.kernel.empty()) {
    os.TextChild("kernel", spec.kernel);
    if (!spec.initrd.empty()) os.TextChild("initrd", spec.initrd);
    if (!spec.cmdline.empty()) os.TextChild("cmdline", spec.cmdline);
  } else {
    os.Child("boot").Attr("dev", "hd");
  }

  XmlElement& features = domain.Child("features");
  features.Child("acpi");
  features.Child("apic");
  if (spec.type == "qemu" && spec.tcg_tb_cache_mib) {
    features.Child("tcg").Child("tb-cache").Attr("unit", "MiB").Text(std::to_string(*spec.tcg_tb_cache_mib));
  }

  XmlElement& cpu = domain.Child("cpu");
  if (spec.cpu_mode == "host-passthrough" || spec.cpu_mode == "host-model") {
    cpu.Attr("mode", spec.cpu_mode);
  } else {
    cpu.Attr("mode", "custom").Attr("match", "exact");
    cpu.Child("model").Attr("fallback", "allow").Text(spec.cpu_model.empty() ? "qemu64" : spec.cpu_model);
  }

  domain.Child("on_poweroff").Text("destroy");
  domain.Child("on_reboot").Text("restart");
  domain.Child("on_crash").Text("restart");

  XmlElement& devices = domain.Child("devices");
  for (const auto& d : spec.disks) AddDisk(devices.Child("disk"), d);
  for (const auto& i : spec.interfaces) {
    XmlElement& iface = devices.Child("interface");
    if (i.kind == InterfaceSpec::Kind::kNetwork) {
      iface.Attr("type", "network");
      iface.Child("source").Attr("network", i.network);
    } else {
      iface.Attr("type", "direct");
      iface.Child("source").Attr("dev", i.host_device).Attr("mode", "bridge");
    }
    if (!i.mac.empty()) iface.Child("mac").Attr("address", i.mac);
    iface.Child("model").Attr("type", "virtio");
    // No option ROM: two NICs with <rom bar='off'/> make qemu fail on a duplicate fw_cfg name.
    iface.Child("rom").Attr("enabled", "no");
  }
  XmlElement& serial = devices.Child("serial");
  serial.Attr("type", "pty");
  if (!spec.console_log.empty()) serial.Child("log").Attr("file", spec.console_log).Attr("append", "off");
  serial.Child("target").Attr("port", "0");
  devices.Child("console").Attr("type", "pty").Child("target").Attr("type", "virtio").Attr("port", "1");
  XmlElement& agent = devices.Child("channel");
  agent.Attr("type", "unix");
  agent.Child("target").Attr("type", "virtio").Attr("name", "org.qemu.guest_agent.0");
  if (!spec.watchdog_model.empty()) devices.Child("watchdog").Attr("model", spec.watchdog_model).Attr("action", "reset");
  devices.Child("rng").Attr("model", "virtio").Child("backend").Attr("model", "random").Text("/dev/urandom");
  return domain.Render();
}

}  // namespace pgha::libvirt
