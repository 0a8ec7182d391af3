// The guest side of a pgha VM, rendered without touching libvirt: from the
// inputs of schemas/fragments/guest.json, the VM's interfaces and a role's
// pieces, the three NoCloud documents and their digest. Rendering is
// deterministic (derived MACs, salted hashes from the inputs), so the
// resources can show user_data at plan time, and the *_cloud_init data
// sources render exactly what the resources would.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cloudinit/documents.h"
#include "roles/pieces.h"
#include "schema/reader.h"
#include "value/diagnostics.h"
#include "value/path.h"
#include "value/value.h"

namespace pgha::resources {

// What a role contributes, and how the host agents refer to its service.
struct RoleOutput {
  roles::RolePieces pieces;
  std::string service;  // default fluent-bit tag: etcd, patroni, haproxy
  std::string unit;     // its systemd unit, e.g. etcd.service
};

struct GuestDocuments {
  cloudinit::SeedDocuments seed;
  // The files the documents write, for live changes.
  std::vector<cloudinit::WriteFile> files;
  std::string digest;  // SHA-256 over user-data and network-config
};

std::string Sha256Hex(const std::string& data);
// A stable MAC in QEMU's 52:54:00 range for the VM's index-th NIC.
std::string DerivedMac(const std::string& vm_name, size_t index);
// The NIC's MAC: the block's `mac`, else the derived one.
std::string InterfaceMac(const schema::Reader& block, const std::string& vm_name, size_t index);
// SHA-256 over user-data and network-config: what the instance-id and user_data_digest come from.
std::string DocumentsDigest(const cloudinit::SeedDocuments& seed);
// The interface blocks in order (network_interface, then macvtap_interface
// where the schema has it): the first one is what the service advertises.
std::vector<schema::Reader> InterfaceBlocks(const schema::Reader& config);
// The advertised address; "" while it is unknown (plan time).
std::string AdvertisedIp(const schema::Reader& config);
// The advertised interface's network as a CIDR (10.0.0.0/24), or "".
std::string AdvertisedNetwork(const schema::Reader& config);
// The network of `ip` with `prefix` bits as a CIDR, or "" when they do not fit.
std::string NetworkOf(const std::string& ip, int64_t prefix);

// Rules for the guest inputs, at their attribute paths.
void ValidateGuest(const schema::Reader& config, value::Diagnostics& diags);

// An exporter's listen address (node_exporter, postgres_exporter): [host]:port, or an error at `path`
// showing `example`. Unknown or unset: nothing to say.
void ErrorUnlessListenAddress(const value::Value& listen, std::string_view example, const value::Path& path,
                              value::Diagnostics& diags);

// data_device: the block device of a data disk ("/dev/vdb"), or "" for none.
absl::StatusOr<GuestDocuments> RenderGuest(const schema::Reader& config, const RoleOutput& role,
                                           const std::string& data_device);

}  // namespace pgha::resources
