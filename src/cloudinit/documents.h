// The three NoCloud documents (user-data, meta-data, network-config) from
// typed descriptions, emitted through yaml-cpp: no user value is ever pasted
// into YAML text, and commands are argv lists that never pass through a shell.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pgha::cloudinit {

struct WriteFile {
  std::string path;
  std::string content;
  std::string owner = "root:root";
  std::string permissions = "0644";
  // Written after packages are installed (so their users and dirs exist).
  bool defer = false;
};

struct User {
  std::string name;
  std::vector<std::string> ssh_authorized_keys;
  std::vector<std::string> groups;
  std::string sudo;             // e.g. "ALL=(ALL) NOPASSWD:ALL"; empty: none
  std::string hashed_password;  // crypt(3) hash for console login; empty: locked
};

// A second disk formatted once (never over existing data) and mounted.
struct DataDisk {
  std::string device;       // /dev/vdb
  std::string mount_point;  // the service's data path
};

struct CloudConfig {
  std::string hostname;
  std::optional<DataDisk> data_disk;
  std::vector<User> users;
  std::vector<std::string> packages;  // installed from the distro when non-empty
  std::vector<WriteFile> write_files;
  std::vector<std::vector<std::string>> runcmd;  // each an argv list
  std::string final_message;
};

struct NetworkInterface {
  std::string name;  // eth0, eth1...
  std::string mac;   // matched, so names do not depend on probe order
  std::vector<std::string> addresses;  // CIDR: 10.0.0.5/24
  std::string gateway;
  std::vector<std::string> dns_servers;
};

// The three documents of a NoCloud seed.
struct SeedDocuments {
  std::string user_data;
  std::string meta_data;
  std::string network_config;
};

std::string RenderUserData(const CloudConfig& config);
std::string RenderMetaData(const std::string& instance_id, const std::string& hostname);
// Netplan-style version 2.
std::string RenderNetworkConfig(const std::vector<NetworkInterface>& interfaces);

}  // namespace pgha::cloudinit
