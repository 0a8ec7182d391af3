// What a role contributes to a VM's cloud-config: files, commands, packages
// and the path its data lives on. Roles know their service, not Terraform or
// libvirt.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cloudinit/documents.h"

namespace pgha::roles {

struct RolePieces {
  std::vector<cloudinit::WriteFile> files;
  std::vector<std::vector<std::string>> runcmd;
  std::vector<std::string> packages;
  std::string data_path;  // where a data disk is mounted; empty for none

  void Append(const RolePieces& other);
};

// How changed files become effective in a running guest (pgha's live
// changes): the commands to run after writing them, and whether one of them
// takes the service down (a restart), which pgha does one member at a time.
struct LiveEffect {
  std::vector<std::vector<std::string>> commands;
  bool disruptive = false;

  void Append(const LiveEffect& other);
};

// Each role's reading of a set of changed paths (those it did not write are ignored).
// Names a role's services must resolve without DNS (pgBackRest verifies its peers by name), kept in
// a block of /etc/hosts at every boot and on every change.
struct HostEntry {
  std::string ip, name;
};
absl::StatusOr<RolePieces> StaticHosts(const std::vector<HostEntry>& entries);

// Files an earlier render wrote that the new one no longer has (a block taken away): the units
// they made (a unit file, or a drop-in for a package's unit) are stopped and disabled, unless a
// file the new render keeps still belongs to that unit (a renamed drop-in); then the files go.
// Never disruptive: a role's own service always keeps its files. A unit already gone is no error,
// so a retried apply runs it again safely.
LiveEffect RetireEffect(const std::vector<std::string>& removed, const std::vector<std::string>& kept);

LiveEffect EtcdLiveEffect(const std::vector<std::string>& changed);
LiveEffect PatroniLiveEffect(const std::vector<std::string>& changed);
LiveEffect HaproxyLiveEffect(const std::vector<std::string>& changed);
LiveEffect BackupRepositoryLiveEffect(const std::vector<std::string>& changed);
LiveEffect HostAgentsLiveEffect(const std::vector<std::string>& changed);

// Refuses values that would end a token in a line-oriented config (spaces,
// control characters) or are empty; `what` names the setting for the message.
absl::Status CheckToken(const std::string& what, const std::string& value);

// "ip:port", with IPv6 literals in brackets.
std::string HostPort(const std::string& ip, int port);

// HAProxy's time notation: 5s, 30m, 100ms...
bool IsHaproxyTime(const std::string& value);
// [host]:port as exporters take it; the host may be empty (all addresses).
bool IsListenAddress(const std::string& value);

// 'value' quoted for a POSIX shell: single quotes, each ' written as '\''.
std::string ShellQuote(const std::string& value);

}  // namespace pgha::roles
