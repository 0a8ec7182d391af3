#include "agent/libvirt_channel.h"

#include "base/strings.h"

namespace pgha::agent {

absl::Status LibvirtChannel::Connect() {
  if (domain_) return absl::OkStatus();
  if (!connection_) {
    auto c = libvirt::Connection::Open(uri_);
    if (!c.ok()) return c.status();
    connection_.emplace(std::move(*c));
  }
  auto d = uuid_.empty() ? connection_->LookupDomain(name_) : connection_->LookupDomainByUuid(uuid_);
  if (!d.ok()) return d.status();
  domain_ = std::move(*d);
  return absl::OkStatus();
}

absl::StatusOr<std::string> LibvirtChannel::Call(const std::string& command, std::chrono::seconds timeout) {
  if (auto status = Connect(); !status.ok()) return status;
  return connection_->AgentCommand(domain_.get(), command, timeout);
}

std::string LibvirtChannel::Describe() const { return pgha::StrCat("VM ", name_, " (", uri_, ")"); }

}  // namespace pgha::agent
