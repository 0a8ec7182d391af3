#include "roles/pieces.h"

#include <regex>

#include "base/strings.h"

namespace pgha::roles {

void RolePieces::Append(const RolePieces& other) {
  files.insert(files.end(), other.files.begin(), other.files.end());
  runcmd.insert(runcmd.end(), other.runcmd.begin(), other.runcmd.end());
  packages.insert(packages.end(), other.packages.begin(), other.packages.end());
  if (data_path.empty()) data_path = other.data_path;
}

absl::Status CheckToken(const std::string& what, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(pgha::StrCat(what, " is empty"));
  for (unsigned char c : value) {
    if (c <= 0x20 || c == 0x7f) {
      // The value itself stays out of the message: it may be a secret (a shared key).
      return absl::InvalidArgumentError(pgha::StrCat(what, " holds a space or control character"));
    }
  }
  return absl::OkStatus();
}

std::string HostPort(const std::string& ip, int port) {
  return ip.find(':') == std::string::npos ? pgha::StrCat(ip, ":", port) : pgha::StrCat("[", ip, "]:", port);
}

bool IsHaproxyTime(const std::string& value) {
  static const std::regex pattern(R"(^[0-9]+(us|ms|s|m|h|d)?$)");
  return std::regex_match(value, pattern);
}

bool IsListenAddress(const std::string& value) {
  static const std::regex pattern(R"(^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):[0-9]{1,5}$)");
  return std::regex_match(value, pattern);
}

std::string ShellQuote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  return quoted;
}

}  // namespace pgha::roles
