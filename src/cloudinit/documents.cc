#include "cloudinit/documents.h"

#include <openssl/evp.h>

#include <yaml-cpp/yaml.h>

namespace pgha::cloudinit {
namespace {

std::string Base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// A literal block (|) reproduces text exactly only when it ends in one
// newline, has no carriage returns or tabs, no line ending in a space and
// no leading space on its first line. Anything else travels as base64.
bool LiteralIsExact(const std::string& s) {
  if (s.empty() || s.back() != '\n' || (s.size() > 1 && s[s.size() - 2] == '\n')) return false;
  if (s.front() == ' ' || s.front() == '\n') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r' || c == '\t' || (c < 0x20 && c != '\n') || c == 0x7f) return false;
    if (c == '\n' && i > 0 && s[i - 1] == ' ') return false;
  }
  return true;
}

void EmitStringList(YAML::Emitter& out, const std::vector<std::string>& items) {
  out << YAML::BeginSeq;
  for (const auto& i : items) out << YAML::DoubleQuoted << i;
  out << YAML::EndSeq;
}

}  // namespace

std::string RenderUserData(const CloudConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "hostname" << YAML::Value << YAML::DoubleQuoted << c.hostname;
  out << YAML::Key << "manage_etc_hosts" << YAML::Value << true;
  // Debian's cloud-init errors when the default locale is missing; C.UTF-8 is always there.
  out << YAML::Key << "locale" << YAML::Value << "C.UTF-8";
  out << YAML::Key << "ssh_pwauth" << YAML::Value << false;
  out << YAML::Key << "disable_root" << YAML::Value << true;

  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
  for (const auto& u : c.users) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << u.name;
    out << YAML::Key << "shell" << YAML::Value << "/bin/bash";
    if (!u.groups.empty()) {
      out << YAML::Key << "groups" << YAML::Value;
      EmitStringList(out, u.groups);
    }
    if (!u.sudo.empty()) out << YAML::Key << "sudo" << YAML::Value << YAML::DoubleQuoted << u.sudo;
    if (u.hashed_password.empty()) {
      out << YAML::Key << "lock_passwd" << YAML::Value << true;
    } else {
      out << YAML::Key << "lock_passwd" << YAML::Value << false;
      out << YAML::Key << "hashed_passwd" << YAML::Value << YAML::DoubleQuoted << u.hashed_password;
    }
    if (!u.ssh_authorized_keys.empty()) {
      out << YAML::Key << "ssh_authorized_keys" << YAML::Value;
      EmitStringList(out, u.ssh_authorized_keys);
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  if (c.data_disk) {
    out << YAML::Key << "fs_setup" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "label" << YAML::Value << "pgha-data";
    out << YAML::Key << "filesystem" << YAML::Value << "ext4";
    out << YAML::Key << "device" << YAML::Value << YAML::DoubleQuoted << c.data_disk->device;
    out << YAML::Key << "overwrite" << YAML::Value << false;  // keep a disk that already has data
    out << YAML::EndMap << YAML::EndSeq;
    out << YAML::Key << "mounts" << YAML::Value << YAML::BeginSeq << YAML::Flow << YAML::BeginSeq;
    out << "LABEL=pgha-data" << YAML::DoubleQuoted << c.data_disk->mount_point << "ext4" << "defaults,nofail"
        << YAML::DoubleQuoted << "0" << YAML::DoubleQuoted << "2";  // cloud-init's schema wants strings
    out << YAML::EndSeq << YAML::EndSeq;
  }

  if (!c.packages.empty()) {
    out << YAML::Key << "package_update" << YAML::Value << true;
    out << YAML::Key << "packages" << YAML::Value;
    EmitStringList(out, c.packages);
  }

  if (!c.write_files.empty()) {
    out << YAML::Key << "write_files" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : c.write_files) {
      out << YAML::BeginMap;
      out << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << f.path;
      out << YAML::Key << "owner" << YAML::Value << YAML::DoubleQuoted << f.owner;
      out << YAML::Key << "permissions" << YAML::Value << YAML::DoubleQuoted << f.permissions;
      if (f.defer) out << YAML::Key << "defer" << YAML::Value << true;
      if (LiteralIsExact(f.content)) {
        out << YAML::Key << "content" << YAML::Value << YAML::Literal << f.content;
      } else {
        out << YAML::Key << "encoding" << YAML::Value << "b64";
        out << YAML::Key << "content" << YAML::Value << Base64(f.content);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }

  if (!c.runcmd.empty()) {
    out << YAML::Key << "runcmd" << YAML::Value << YAML::BeginSeq;
    for (const auto& argv : c.runcmd) {
      out << YAML::Flow;
      EmitStringList(out, argv);
    }
    out << YAML::EndSeq;
  }
  if (!c.final_message.empty()) {
    out << YAML::Key << "final_message" << YAML::Value << YAML::DoubleQuoted << c.final_message;
  }
  out << YAML::EndMap;
  return std::string("#cloud-config\n") + out.c_str() + "\n";
}

std::string RenderMetaData(const std::string& instance_id, const std::string& hostname) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "instance-id" << YAML::Value << YAML::DoubleQuoted << instance_id;
  out << YAML::Key << "local-hostname" << YAML::Value << YAML::DoubleQuoted << hostname;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string RenderNetworkConfig(const std::vector<NetworkInterface>& interfaces) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << 2;
  out << YAML::Key << "ethernets" << YAML::Value << YAML::BeginMap;
  for (const auto& i : interfaces) {
    out << YAML::Key << i.name << YAML::Value << YAML::BeginMap;
    if (!i.mac.empty()) {
      out << YAML::Key << "match" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "macaddress" << YAML::Value << YAML::DoubleQuoted << i.mac;
      out << YAML::EndMap;
      out << YAML::Key << "set-name" << YAML::Value << YAML::DoubleQuoted << i.name;
    }
    if (i.addresses.empty()) {
      out << YAML::Key << "dhcp4" << YAML::Value << true;
    } else {
      out << YAML::Key << "addresses" << YAML::Value;
      EmitStringList(out, i.addresses);
    }
    if (!i.gateway.empty()) {
      out << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
      // Debian 12's cloud-init (22.4) does not know "to: default"; spell the default route out.
      out << YAML::Key << "to" << YAML::Value << (i.gateway.find(':') == std::string::npos ? "0.0.0.0/0" : "::/0");
      out << YAML::Key << "via" << YAML::Value << YAML::DoubleQuoted << i.gateway;
      out << YAML::EndMap << YAML::EndSeq;
    }
    if (!i.dns_servers.empty()) {
      out << YAML::Key << "nameservers" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "addresses" << YAML::Value;
      EmitStringList(out, i.dns_servers);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace pgha::cloudinit
