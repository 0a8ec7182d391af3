#include "libvirt/domain_reader.h"

#include "gtest/gtest.h"

namespace pgha::libvirt {
namespace {

TEST(DomainReader, ReadsBackWhatRenderWrote) {
  DomainSpec spec;
  spec.name = "pg-1";
  spec.type = "qemu";
  spec.memory_mib = 1536;
  spec.vcpus = 3;
  spec.cpu_mode = "custom";
  spec.cpu_model = "qemu64";
  spec.kernel = "/boot/vmlinuz";
  spec.initrd = "/boot/initrd.img";
  spec.cmdline = "console=ttyS0 root=/dev/vda1";
  spec.console_log = "/var/log/pgha/vm-console.log";
  spec.watchdog_model = "i6300esb";
  spec.description = "Managed <by> pgha";
  spec.disks = {{DiskSpec::Device::kDisk, "/pool/os & more.qcow2", "qcow2", "vda", "virtio", false},
                {DiskSpec::Device::kCdrom, "/pool/pg-1-cloud-init.iso", "raw", "hdc", "ide", true}};
  spec.interfaces = {{InterfaceSpec::Kind::kNetwork, "net-a", "", "52:54:00:aa:bb:cc"},
                     {InterfaceSpec::Kind::kMacvtap, "", "eth9", "52:54:00:aa:bb:cd"}};
  auto back = ParseDomainXml(RenderDomainXml(spec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->name, "pg-1");
  EXPECT_EQ(back->type, "qemu");
  EXPECT_EQ(back->memory_mib, 1536);
  EXPECT_EQ(back->vcpus, 3);
  EXPECT_EQ(back->cpu_mode, "custom");
  EXPECT_EQ(back->cpu_model, "qemu64");
  EXPECT_EQ(back->kernel, spec.kernel);
  EXPECT_EQ(back->initrd, spec.initrd);
  EXPECT_EQ(back->cmdline, spec.cmdline);
  EXPECT_EQ(back->console_log, spec.console_log);
  EXPECT_EQ(back->watchdog_model, "i6300esb");
  EXPECT_EQ(back->description, "Managed <by> pgha");
  ASSERT_EQ(back->disks.size(), 2u);
  EXPECT_EQ(back->disks[0].source_file, "/pool/os & more.qcow2");
  EXPECT_EQ(back->disks[1].device, DiskSpec::Device::kCdrom);
  EXPECT_TRUE(back->disks[1].read_only);
  ASSERT_EQ(back->interfaces.size(), 2u);
  EXPECT_EQ(back->interfaces[0].network, "net-a");
  EXPECT_EQ(back->interfaces[1].kind, InterfaceSpec::Kind::kMacvtap);
  EXPECT_EQ(back->interfaces[1].host_device, "eth9");
  EXPECT_EQ(back->interfaces[1].mac, "52:54:00:aa:bb:cd");
}

TEST(DomainReader, LibvirtUnitsAndGarbage) {
  auto spec = ParseDomainXml("<domain type='kvm'><name>x</name><memory unit='KiB'>2097152</memory><vcpu>2</vcpu></domain>");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->memory_mib, 2048);
  EXPECT_FALSE(ParseDomainXml("<domain").ok());
  // Sizes that would overflow a signed 64-bit number are an error, not undefined behaviour.
  EXPECT_FALSE(ParseDomainXml("<domain><name>x</name><memory unit='GiB'>9223372036854775807</memory></domain>").ok());
  EXPECT_FALSE(ParseDomainXml("<domain><name>x</name><memory unit='TiB'>18014398509481984</memory></domain>").ok());
  EXPECT_FALSE(ParseDomainXml("<domain><name>x</name><memory>-5</memory></domain>").ok());
  auto tib = ParseDomainXml("<domain><name>x</name><memory unit='TiB'>2</memory></domain>");
  ASSERT_TRUE(tib.ok());
  EXPECT_EQ(tib->memory_mib, 2 * 1024 * 1024);
  EXPECT_FALSE(ParseDomainXml("<domain><devices><interface type='user'/></devices></domain>").ok());
}

}  // namespace
}  // namespace pgha::libvirt
