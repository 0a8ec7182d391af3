// RAII over the libvirt C API: a connection, and the domains and storage
// volumes pgha creates through it. Every libvirt failure becomes a Status
// carrying libvirt's own message; nothing is printed to stderr.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>


#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libvirt/library.h"

namespace pgha::libvirt {

// Frees through the loaded library's table (libvirt is dlopened, see library.h).
template <auto Free>
struct Releaser {
  template <typename T>
  void operator()(T* p) const {
    if (p) (Virt().*Free)(p);
  }
};
using DomainPtr = std::unique_ptr<virDomain, Releaser<&LibvirtApi::virDomainFree>>;
using PoolPtr = std::unique_ptr<virStoragePool, Releaser<&LibvirtApi::virStoragePoolFree>>;
using VolumePtr = std::unique_ptr<virStorageVol, Releaser<&LibvirtApi::virStorageVolFree>>;

struct DomainInfo {
  bool running = false;
  int64_t vcpus = 0;
  int64_t memory_mib = 0;
};

// A domain start that failed only because the kernel refused, with EAGAIN,
// to load libvirt's cgroup BPF device filter (libvirt's VIR_ERR_SYSTEM_ERROR
// carries errno in int1): worth another try.
bool IsInterruptedStart(int code, int sys_errno);

class Connection {
 public:
  // uri: e.g. qemu:///system, test:///default.
  static absl::StatusOr<Connection> Open(const std::string& uri);

  Connection(Connection&&) = default;
  Connection& operator=(Connection&&) = default;

  // Domains.
  absl::StatusOr<DomainPtr> DefineDomain(const std::string& xml);
  // NotFound when there is no such domain.
  absl::StatusOr<DomainPtr> LookupDomain(const std::string& name);
  absl::StatusOr<DomainPtr> LookupDomainByUuid(const std::string& uuid);
  // Every domain this connection sees, running or not.
  absl::StatusOr<std::vector<DomainPtr>> ListDomains();
  static std::string DomainName(virDomain* domain);
  static std::string DomainUuid(virDomain* domain);
  // Replaces the domain's <description>, in its definition and, when it runs, live.
  absl::Status SetDescription(virDomain* domain, const std::string& text);
  // Starts a defined domain, retrying (with a warning logged) a start the
  // kernel interrupted; see IsInterruptedStart.
  absl::Status StartDomain(virDomain* domain);
  static bool IsActive(virDomain* domain);
  absl::StatusOr<DomainInfo> GetDomainInfo(virDomain* domain);
  absl::Status SetAutostart(virDomain* domain, bool autostart);
  absl::StatusOr<bool> GetAutostart(virDomain* domain);
  // ACPI shutdown, waiting up to `grace`; then forced off. When `cancelled`
  // turns true the wait ends with Cancelled and the guest is left to finish
  // its graceful shutdown: a cancellation never becomes a hard power-off.
  absl::Status StopDomain(virDomain* domain, std::chrono::milliseconds grace,
                          const std::function<bool()>& cancelled = nullptr);
  // Removes the definition; never deletes storage.
  absl::Status UndefineDomain(virDomain* domain);
  // The live XML of a running domain, or with `definition` the persistent one
  // (what the next start uses).
  absl::StatusOr<std::string> DomainXml(virDomain* domain, bool definition = false);
  // Swaps the media of a CD-ROM (same target): in the domain's definition
  // (what its next start uses), or live in the running guest, forced since a
  // guest may lock the tray.
  enum class MediaScope { kDefinition, kLive };
  absl::Status ChangeMedia(virDomain* domain, const std::string& disk_xml, MediaScope scope);
  // One QEMU guest agent command (a JSON object) through the domain's
  // virtio-serial channel; its JSON reply. Unavailable while the agent is not
  // connected or does not answer within `timeout`; FailedPrecondition when the
  // domain is not running. The command text is never logged: it may carry secrets.
  absl::StatusOr<std::string> AgentCommand(virDomain* domain, const std::string& command,
                                           std::chrono::seconds timeout);

  // Storage.
  absl::StatusOr<PoolPtr> LookupPool(const std::string& name);
  // A raw volume of exactly `data.size()` bytes holding `data`.
  absl::StatusOr<VolumePtr> CreateVolumeWithData(virStoragePool* pool, const std::string& name,
                                                 std::string_view data);
  absl::StatusOr<VolumePtr> LookupVolume(virStoragePool* pool, const std::string& name);
  absl::StatusOr<std::string> VolumePath(virStorageVol* volume);
  absl::Status DeleteVolume(virStorageVol* volume);
  // Up to `length` bytes of a volume from `offset`, through a download stream
  // (works for remote hypervisors too).
  absl::StatusOr<std::string> ReadVolume(virStorageVol* volume, uint64_t offset, uint64_t length);
  // A volume by its key (the path, for dir pools). Its format is not asked:
  // for dir pools libvirt probes it from the bytes, which a guest may have written.
  struct VolumeRef {
    std::string path;
  };
  absl::StatusOr<VolumeRef> ResolveVolume(const std::string& key);
  // The pool name and volume name of the volume at `path`.
  absl::StatusOr<std::pair<std::string, std::string>> PoolAndNameOfPath(const std::string& path);
  // The name of the pool whose target directory is `dir` (dir pools).
  absl::StatusOr<std::string> PoolOfDirectory(const std::string& dir);
  // A network's name from its UUID.
  absl::StatusOr<std::string> NetworkNameByUuid(const std::string& uuid);

  virConnectPtr get() const { return conn_.get(); }

 private:
  explicit Connection(virConnectPtr conn) : conn_(conn) {}
  std::unique_ptr<virConnect, Releaser<&LibvirtApi::virConnectClose>> conn_;
};

// The message of the last libvirt error on this thread, as a Status.
absl::Status LastError(std::string_view what);

}  // namespace pgha::libvirt
