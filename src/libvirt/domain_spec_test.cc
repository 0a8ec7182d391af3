#include "libvirt/domain_spec.h"

#include "gtest/gtest.h"
#include "libvirt/connection.h"
#include "libvirt/xml_writer.h"

namespace pgha::libvirt {
namespace {

DomainSpec Sample() {
  DomainSpec spec;
  spec.name = "etcd-1";
  spec.type = "qemu";
  spec.memory_mib = 768;
  spec.vcpus = 1;
  spec.cpu_mode = "custom";
  spec.cpu_model = "qemu64";
  spec.kernel = "/var/lib/pgha/vmlinuz";
  spec.initrd = "/var/lib/pgha/initrd.img";
  spec.cmdline = "root=LABEL=rootfs rw console=ttyS0 net.ifnames=0";
  spec.tcg_tb_cache_mib = 128;
  spec.disks = {{DiskSpec::Device::kDisk, "/pool/etcd-1.qcow2", "qcow2", "vda", "virtio", false},
                {DiskSpec::Device::kDisk, "/pool/etcd-1-cloud-init.iso", "raw", "vdb", "virtio", true}};
  spec.interfaces = {{InterfaceSpec::Kind::kNetwork, "pgha", "", "52:54:00:00:00:11"},
                     {InterfaceSpec::Kind::kMacvtap, "", "eth1", ""}};
  spec.console_log = "/var/log/pgha/etcd-1.log";
  return spec;
}

TEST(DomainSpec, RendersWhatWeAskFor) {
  std::string xml = RenderDomainXml(Sample());
  EXPECT_NE(xml.find("<domain type=\"qemu\">"), std::string::npos);
  EXPECT_NE(xml.find("<memory unit=\"MiB\">768</memory>"), std::string::npos);
  EXPECT_NE(xml.find("<tb-cache unit=\"MiB\">128</tb-cache>"), std::string::npos);
  EXPECT_NE(xml.find("<model fallback=\"allow\">qemu64</model>"), std::string::npos);
  EXPECT_NE(xml.find("<kernel>/var/lib/pgha/vmlinuz</kernel>"), std::string::npos);
  EXPECT_NE(xml.find("<source network=\"pgha\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<source dev=\"eth1\" mode=\"bridge\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<rom enabled=\"no\"/>"), std::string::npos);
  EXPECT_NE(xml.find("org.qemu.guest_agent.0"), std::string::npos);
  EXPECT_NE(xml.find("<readonly/>"), std::string::npos);
  DomainSpec kvm = Sample();
  kvm.type = "kvm";
  kvm.cpu_mode = "host-passthrough";
  std::string kvm_xml = RenderDomainXml(kvm);
  EXPECT_NE(kvm_xml.find("<cpu mode=\"host-passthrough\"/>"), std::string::npos);
  EXPECT_EQ(kvm_xml.find("tb-cache"), std::string::npos);  // a TCG setting only
}

TEST(DomainSpec, ValuesAreEscapedNotInjected) {
  DomainSpec spec = Sample();
  spec.description = "</description><devices><disk/></devices><description>";
  spec.cmdline = "a=\"b\" & c";
  std::string xml = RenderDomainXml(spec);
  EXPECT_EQ(xml.find("</description><devices>"), std::string::npos);
  EXPECT_NE(xml.find("&lt;/description&gt;"), std::string::npos);
  EXPECT_NE(xml.find("a=&quot;b&quot; &amp; c"), std::string::npos);
}

// libvirt's in-process test driver accepts the XML and runs the lifecycle.
TEST(DomainSpec, TestDriverRunsTheLifecycle) {
  auto conn = Connection::Open("test:///default");
  ASSERT_TRUE(conn.ok()) << conn.status();
  DomainSpec spec = Sample();
  spec.name = "pgha-lifecycle";
  spec.interfaces = {{InterfaceSpec::Kind::kNetwork, "default", "", ""}};
  auto domain = conn->DefineDomain(RenderDomainXml(spec));
  ASSERT_TRUE(domain.ok()) << domain.status();
  ASSERT_TRUE(conn->StartDomain(domain->get()).ok());
  auto info = conn->GetDomainInfo(domain->get());
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->running);
  EXPECT_EQ(info->vcpus, 1);
  EXPECT_EQ(info->memory_mib, 768);
  ASSERT_TRUE(conn->SetAutostart(domain->get(), true).ok());
  EXPECT_EQ(*conn->GetAutostart(domain->get()), true);
  ASSERT_TRUE(conn->StopDomain(domain->get(), std::chrono::seconds(5)).ok());
  EXPECT_FALSE(conn->GetDomainInfo(domain->get())->running);
  ASSERT_TRUE(conn->UndefineDomain(domain->get()).ok());
  EXPECT_EQ(conn->LookupDomain("pgha-lifecycle").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace pgha::libvirt
