// The guest agent of a libvirt domain, reached over the virtio-serial
// channel org.qemu.guest_agent.0 every pgha VM has: it works whatever the
// network between Terraform and the VM (macvtap, a remote hypervisor).
#pragma once

#include <optional>
#include <string>

#include "agent/channel.h"
#include "libvirt/connection.h"

namespace pgha::agent {

class LibvirtChannel final : public Channel {
 public:
  // The domain is found by UUID (by name when `uuid` is empty) on first use.
  LibvirtChannel(std::string uri, std::string uuid, std::string name)
      : uri_(std::move(uri)), uuid_(std::move(uuid)), name_(std::move(name)) {}

  absl::StatusOr<std::string> Call(const std::string& command, std::chrono::seconds timeout) override;
  std::string Describe() const override;

 private:
  absl::Status Connect();

  std::string uri_, uuid_, name_;
  std::optional<libvirt::Connection> connection_;
  libvirt::DomainPtr domain_;
};

}  // namespace pgha::agent
