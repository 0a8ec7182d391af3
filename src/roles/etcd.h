// What an etcd member VM runs: etcd's configuration, certificates, systemd
// drop-in and the one-time authentication bootstrap, as cloud-init pieces.
// Knows etcd, not Terraform or libvirt.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cloudinit/documents.h"

namespace pgha::roles {

struct EtcdMember {
  std::string name;
  std::string ip;  // the advertised address
  std::vector<std::pair<std::string, std::string>> initial_members;  // name, ip
  std::string initial_token;
  bool is_initializing = true;
  std::string auto_compaction_mode = "revision";
  std::string auto_compaction_retention = "1000";
  int64_t space_quota = int64_t{8} << 30;
  bool grpc_gateway_enabled = false;
  bool client_cert_auth = true;
  bool bootstrap_auth = false;
  std::string root_password;
  std::string ca_cert, server_cert, server_key;
};

struct RolePieces {
  std::vector<cloudinit::WriteFile> files;
  std::vector<std::vector<std::string>> runcmd;
  std::vector<std::string> packages;
  std::string data_path;
};

absl::StatusOr<RolePieces> RenderEtcd(const EtcdMember& member);

}  // namespace pgha::roles
