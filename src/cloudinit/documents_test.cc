#include "cloudinit/documents.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "support/capture.h"
#include "nlohmann/json.hpp"

namespace pgha::cloudinit {
namespace {

using pgha::testing::Capture;

// Debian's cloud-init reads the document and reports what it understood.
std::string CloudInitReads(const std::string& kind, const std::string& document) {
  auto path = std::filesystem::temp_directory_path() / ("pgha-" + kind + "-" + std::to_string(getpid()));
  std::ofstream(path) << document;
  std::string out = Capture(std::string("/usr/bin/python3 ") + PGHA_SOURCE_DIR + "/test/tools/cloudinit_check.py " +
                            kind + " " + path.string());
  std::filesystem::remove(path);
  return out;
}

TEST(Documents, UserDataIsValidAndCarriesFilesExactly) {
  CloudConfig c;
  c.hostname = "etcd-1";
  c.users = {{"ubuntu", {"ssh-ed25519 AAAAC3Nza test@example"}, {"sudo"}, "ALL=(ALL) NOPASSWD:ALL", ""},
             {"console", {}, {}, "", "$6$salt$hash"}};
  c.packages = {"etcd-server", "chrony"};
  // Contents that trip naive templating: YAML syntax, no trailing newline,
  // trailing spaces, tabs, CRLF, quotes, a forged runcmd and non-ASCII.
  const std::vector<std::string> contents = {
      "name: etcd-1\ndata-dir: /var/lib/etcd\n",
      "no newline at end",
      "trailing space \nline\n",
      "\ttabbed\n",
      "crlf\r\n",
      "\"quoted\" 'single' & <xml>\n",
      "x\nruncmd: [[rm, -rf, /]]\n",
      "  leading spaces\n",
      "ünïcödé ✓\n",
      "",
  };
  for (size_t i = 0; i < contents.size(); ++i) {
    c.write_files.push_back({"/etc/pgha/file" + std::to_string(i), contents[i], "root:root", "0600", i % 2 == 1});
  }
  c.runcmd = {{"systemctl", "enable", "--now", "etcd"}, {"sh", "-c", "echo $(hostname) > /tmp/x; rm -rf /"}};
  c.final_message = "pgha: etcd-1 up after $UPTIME s";

  std::string rendered = RenderUserData(c);
  ASSERT_EQ(rendered.rfind("#cloud-config\n", 0), 0u);
  auto result = nlohmann::json::parse(CloudInitReads("user-data", rendered), nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << CloudInitReads("user-data", rendered);
  EXPECT_TRUE(result["valid"].get<bool>()) << result["errors"];
  for (size_t i = 0; i < contents.size(); ++i) {
    EXPECT_EQ(result["files"]["/etc/pgha/file" + std::to_string(i)], contents[i]) << "file " << i;
  }
  // Commands stay argv lists: the shell metacharacters are one argument, not a second command.
  ASSERT_EQ(result["runcmd"].size(), 2u);
  EXPECT_EQ(result["runcmd"][1][2], "echo $(hostname) > /tmp/x; rm -rf /");
  const auto& doc = result["doc"];
  EXPECT_EQ(doc["ssh_pwauth"], false);
  EXPECT_EQ(doc["users"][0]["lock_passwd"], true);
  EXPECT_EQ(doc["users"][1]["hashed_passwd"], "$6$salt$hash");
  EXPECT_EQ(doc["packages"][0], "etcd-server");
}

TEST(Documents, NetworkConfigIsWhatCloudInitRenders) {
  std::string rendered = RenderNetworkConfig({
      {"eth0", "52:54:00:0a:0a:0b", {"10.10.0.11/24"}, "10.10.0.1", {"10.10.0.1", "9.9.9.9"}},
      {"eth1", "52:54:00:0a:0a:0c", {"192.168.50.11/24"}, "", {}},
  });
  std::string eni = CloudInitReads("network-config", rendered);
  EXPECT_NE(eni.find("iface eth0 inet static"), std::string::npos) << eni;
  EXPECT_NE(eni.find("address 10.10.0.11/24"), std::string::npos) << eni;
  EXPECT_NE(eni.find("route add default gw 10.10.0.1"), std::string::npos) << eni;
  EXPECT_NE(eni.find("dns-nameservers 10.10.0.1 9.9.9.9"), std::string::npos) << eni;
  EXPECT_NE(eni.find("address 192.168.50.11/24"), std::string::npos) << eni;
}

TEST(Documents, MetaDataNamesTheInstance) {
  EXPECT_EQ(RenderMetaData("i-abc123", "pg-1"), "instance-id: \"i-abc123\"\nlocal-hostname: \"pg-1\"\n");
}

}  // namespace
}  // namespace pgha::cloudinit
