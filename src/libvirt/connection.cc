#include "libvirt/connection.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <mutex>
#include <thread>

#include "base/crash_point.h"
#include "base/strings.h"
#include "libvirt/xml_writer.h"
#include "log/log.h"

namespace pgha::libvirt {
namespace {

// libvirt prints every error to stderr unless told otherwise; ours go into Status.
absl::Status LoadAndSilence() {
  auto api = LoadLibvirt();
  if (!api.ok()) return api.status();
  static std::once_flag once;
  std::call_once(once, [api] {
    (*api)->virInitialize();
    (*api)->virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
  });
  return absl::OkStatus();
}

}  // namespace

absl::Status LastError(std::string_view what) {
  const char* message = Virt().virGetLastErrorMessage();
  const int code = Virt().virGetLastErrorCode();
  std::string text = pgha::StrCat(what, ": ", message ? message : "unknown libvirt error");
  Virt().virResetLastError();
  switch (code) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_NETWORK:
      return absl::NotFoundError(text);
    case VIR_ERR_OPERATION_INVALID:
      return absl::FailedPreconditionError(text);
    default:
      return absl::UnavailableError(text);
  }
}

absl::StatusOr<Connection> Connection::Open(const std::string& uri) {
  if (auto loaded = LoadAndSilence(); !loaded.ok()) return loaded;
  virConnectPtr conn = Virt().virConnectOpen(uri.c_str());
  if (conn == nullptr) return LastError(pgha::StrCat("connecting to libvirt at ", uri));
  return Connection(conn);
}

absl::StatusOr<DomainPtr> Connection::DefineDomain(const std::string& xml) {
  virDomainPtr d = Virt().virDomainDefineXML(conn_.get(), xml.c_str());
  if (d == nullptr) return LastError("defining the domain");
  return DomainPtr(d);
}

absl::StatusOr<DomainPtr> Connection::LookupDomain(const std::string& name) {
  virDomainPtr d = Virt().virDomainLookupByName(conn_.get(), name.c_str());
  // LastError maps libvirt's "no domain" to NotFound.
  if (d == nullptr) return LastError(pgha::StrCat("looking up domain ", name));
  return DomainPtr(d);
}

absl::StatusOr<DomainPtr> Connection::LookupDomainByUuid(const std::string& uuid) {
  virDomainPtr d = Virt().virDomainLookupByUUIDString(conn_.get(), uuid.c_str());
  if (d == nullptr) return LastError(pgha::StrCat("looking up domain ", uuid));
  return DomainPtr(d);
}

absl::StatusOr<std::vector<DomainPtr>> Connection::ListDomains() {
  virDomainPtr* domains = nullptr;
  const int n = Virt().virConnectListAllDomains(conn_.get(), &domains, 0);
  if (n < 0) return LastError("listing domains");
  std::vector<DomainPtr> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out.emplace_back(domains[i]);
  free(domains);
  return out;
}

std::string Connection::DomainName(virDomain* domain) {
  const char* name = Virt().virDomainGetName(domain);
  return name ? name : "";
}

std::string Connection::DomainUuid(virDomain* domain) {
  char uuid[VIR_UUID_STRING_BUFLEN];
  return Virt().virDomainGetUUIDString(domain, uuid) == 0 ? std::string(uuid) : "";
}

absl::Status Connection::SetDescription(virDomain* domain, const std::string& text) {
  unsigned int flags = VIR_DOMAIN_AFFECT_CONFIG;
  if (Virt().virDomainIsActive(domain) == 1) flags |= VIR_DOMAIN_AFFECT_LIVE;
  if (Virt().virDomainSetMetadata(domain, VIR_DOMAIN_METADATA_DESCRIPTION, text.c_str(), nullptr, nullptr, flags) < 0) {
    return LastError("setting the domain's description");
  }
  return absl::OkStatus();
}

bool IsInterruptedStart(int code, int sys_errno) { return code == VIR_ERR_SYSTEM_ERROR && sys_errno == EAGAIN; }

absl::Status Connection::StartDomain(virDomain* domain) {
  // libvirt 9.0 loads a cgroup v2 device-filter BPF program at every start and
  // passes the kernel's EAGAIN straight back; the verifier returns it whenever
  // a signal is pending for the loading thread, as it can be while other
  // domains start (CI saw "failed to load cgroup BPF prog: Resource
  // temporarily unavailable" with seven starting). libbpf retries that load;
  // libvirt does not, so pgha retries the start. A failed start leaves the
  // domain shut off, so starting it again is safe.
  constexpr int kAttempts = 4;
  std::chrono::milliseconds pause(250);
  for (int attempt = 1;; ++attempt) {
    if (Virt().virDomainCreate(domain) == 0) return absl::OkStatus();
    virErrorPtr error = Virt().virGetLastError();
    const bool interrupted = error != nullptr && IsInterruptedStart(error->code, error->int1);
    absl::Status failed = LastError("starting the domain");
    if (!interrupted || attempt == kAttempts || IsActive(domain)) return failed;
    const std::string attempt_text = std::to_string(attempt);
    const std::string reason(failed.message());
    pgha::log::Warn("libvirt: domain start interrupted, retrying", {{"attempt", attempt_text}, {"reason", reason}});
    std::this_thread::sleep_for(pause);
    pause *= 2;
  }
}

absl::StatusOr<std::string> Connection::AgentCommand(virDomain* domain, const std::string& command,
                                                     std::chrono::seconds timeout) {
  auto qemu = LoadLibvirtQemu();
  if (!qemu.ok()) return qemu.status();
  const int seconds = static_cast<int>(std::clamp<int64_t>(timeout.count(), 1, 3600));
  char* reply = (*qemu)->virDomainQemuAgentCommand(domain, command.c_str(), seconds, 0);
  if (reply == nullptr) return LastError("the QEMU guest agent");
  std::string out(reply);
  free(reply);
  return out;
}

bool Connection::IsActive(virDomain* domain) { return Virt().virDomainIsActive(domain) == 1; }

absl::StatusOr<DomainInfo> Connection::GetDomainInfo(virDomain* domain) {
  virDomainInfo info;
  if (Virt().virDomainGetInfo(domain, &info) < 0) return LastError("reading the domain's state");
  DomainInfo out;
  out.running = info.state == VIR_DOMAIN_RUNNING || info.state == VIR_DOMAIN_BLOCKED ||
                info.state == VIR_DOMAIN_PAUSED;
  out.vcpus = info.nrVirtCpu;
  out.memory_mib = static_cast<int64_t>(info.maxMem / 1024);
  return out;
}

absl::Status Connection::SetAutostart(virDomain* domain, bool autostart) {
  if (Virt().virDomainSetAutostart(domain, autostart ? 1 : 0) < 0) return LastError("setting autostart");
  return absl::OkStatus();
}

absl::StatusOr<bool> Connection::GetAutostart(virDomain* domain) {
  int autostart = 0;
  if (Virt().virDomainGetAutostart(domain, &autostart) < 0) return LastError("reading autostart");
  return autostart != 0;
}

absl::Status Connection::StopDomain(virDomain* domain, std::chrono::milliseconds grace,
                                    const std::function<bool()>& cancelled) {
  // Stopped means inactive: a guest that has powered off reports "shut down"
  // while libvirt is still tearing down its QEMU process, and undefining it then
  // leaves a transient domain that vanishes later, under a retry's feet.
  if (!IsActive(domain)) return absl::OkStatus();
  // The ACPI power button, never the guest agent: an agent that is not
  // answering (still booting, not installed) would block this call.
  // A guest that ignores ACPI is forced off after the grace period.
  if (Virt().virDomainShutdownFlags(domain, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0) Virt().virResetLastError();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!IsActive(domain)) return absl::OkStatus();
    if (cancelled && cancelled()) {
      return absl::CancelledError("interrupted while the guest was shutting down; it was left to finish");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (Virt().virDomainDestroy(domain) < 0) {
    absl::Status status = LastError("forcing the domain off");
    if (!IsActive(domain)) return absl::OkStatus();
    return status;
  }
  return absl::OkStatus();
}

absl::Status Connection::UndefineDomain(virDomain* domain) {
  // NVRAM and managed-save images belong to the domain; storage volumes do not and stay.
  const unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
  if (Virt().virDomainUndefineFlags(domain, flags) < 0) {
    Virt().virResetLastError();
    if (Virt().virDomainUndefine(domain) < 0) return LastError("undefining the domain");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Connection::DomainXml(virDomain* domain, bool definition) {
  char* xml = Virt().virDomainGetXMLDesc(domain, definition ? VIR_DOMAIN_XML_INACTIVE : 0);
  if (xml == nullptr) return LastError("reading the domain XML");
  std::string out(xml);
  free(xml);
  return out;
}

absl::StatusOr<PoolPtr> Connection::LookupPool(const std::string& name) {
  virStoragePoolPtr p = Virt().virStoragePoolLookupByName(conn_.get(), name.c_str());
  if (p == nullptr) return LastError(pgha::StrCat("looking up storage pool ", name));
  return PoolPtr(p);
}

absl::StatusOr<VolumePtr> Connection::CreateVolumeWithData(virStoragePool* pool, const std::string& name,
                                                           std::string_view data) {
  XmlElement volume("volume");
  volume.TextChild("name", name);
  volume.Child("capacity").Attr("unit", "bytes").Text(std::to_string(data.size()));
  volume.Child("target").Child("format").Attr("type", "raw");
  virStorageVolPtr vol = Virt().virStorageVolCreateXML(pool, volume.Render().c_str(), 0);
  if (vol == nullptr) return LastError(pgha::StrCat("creating volume ", name));
  VolumePtr owned(vol);

  virStreamPtr stream = Virt().virStreamNew(conn_.get(), 0);
  if (stream == nullptr) {
    absl::Status status = LastError("opening an upload stream");
    Virt().virStorageVolDelete(vol, 0);
    return status;
  }
  std::unique_ptr<virStream, Releaser<&LibvirtApi::virStreamFree>> owned_stream(stream);
  absl::Status status = absl::OkStatus();
  if (Virt().virStorageVolUpload(vol, stream, 0, data.size(), 0) < 0) {
    status = LastError(pgha::StrCat("uploading to volume ", name));
  } else {
    // In chunks, so that a crash can land in the middle of an upload.
    constexpr size_t kChunk = 16 * 1024;
    size_t sent = 0;
    while (sent < data.size()) {
      if (sent > 0) PGHA_CRASH_POINT("volume.upload_partial");
      int n = Virt().virStreamSend(stream, data.data() + sent, std::min(kChunk, data.size() - sent));
      if (n < 0) {
        status = LastError(pgha::StrCat("uploading to volume ", name));
        Virt().virStreamAbort(stream);
        break;
      }
      sent += static_cast<size_t>(n);
    }
    if (status.ok() && Virt().virStreamFinish(stream) < 0) status = LastError(pgha::StrCat("finishing upload to ", name));
  }
  if (!status.ok()) {
    // Leave nothing half-made behind.
    Virt().virStorageVolDelete(vol, 0);
    return status;
  }
  return owned;
}

absl::StatusOr<VolumePtr> Connection::LookupVolume(virStoragePool* pool, const std::string& name) {
  virStorageVolPtr v = Virt().virStorageVolLookupByName(pool, name.c_str());
  if (v == nullptr) return LastError(pgha::StrCat("looking up volume ", name));
  return VolumePtr(v);
}

absl::StatusOr<std::string> Connection::VolumePath(virStorageVol* volume) {
  char* path = Virt().virStorageVolGetPath(volume);
  if (path == nullptr) return LastError("reading the volume's path");
  std::string out(path);
  free(path);
  return out;
}

absl::Status Connection::DeleteVolume(virStorageVol* volume) {
  if (Virt().virStorageVolDelete(volume, 0) < 0) return LastError("deleting the volume");
  return absl::OkStatus();
}

absl::StatusOr<std::string> Connection::ReadVolume(virStorageVol* volume, uint64_t offset, uint64_t length) {
  virStreamPtr stream = Virt().virStreamNew(conn_.get(), 0);
  if (stream == nullptr) return LastError("opening a download stream");
  std::unique_ptr<virStream, Releaser<&LibvirtApi::virStreamFree>> owned(stream);
  if (Virt().virStorageVolDownload(volume, stream, offset, length, 0) < 0) return LastError("downloading the volume");
  std::string out;
  char buf[4096];
  while (out.size() < length) {
    int n = Virt().virStreamRecv(stream, buf, sizeof(buf));
    if (n < 0) {
      Virt().virStreamAbort(stream);
      return LastError("downloading the volume");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (Virt().virStreamFinish(stream) < 0) Virt().virResetLastError();
  return out.substr(0, length);
}

absl::StatusOr<Connection::VolumeRef> Connection::ResolveVolume(const std::string& key) {
  virStorageVolPtr v = Virt().virStorageVolLookupByKey(conn_.get(), key.c_str());
  if (v == nullptr) v = Virt().virStorageVolLookupByPath(conn_.get(), key.c_str());
  if (v == nullptr) return LastError(pgha::StrCat("finding volume ", key));
  VolumePtr volume(v);
  VolumeRef ref;
  auto path = VolumePath(v);
  if (!path.ok()) return path.status();
  ref.path = *path;
  return ref;
}

absl::StatusOr<std::string> Connection::PoolOfDirectory(const std::string& dir) {
  virStoragePoolPtr* pools = nullptr;
  const int n = Virt().virConnectListAllStoragePools(conn_.get(), &pools, 0);
  if (n < 0) return LastError("listing storage pools");
  std::vector<PoolPtr> owned;
  for (int i = 0; i < n; ++i) owned.emplace_back(pools[i]);
  free(pools);
  const std::string needle = pgha::StrCat("<path>", dir, "</path>");
  for (const auto& pool : owned) {
    char* xml = Virt().virStoragePoolGetXMLDesc(pool.get(), 0);
    if (xml == nullptr) {
      Virt().virResetLastError();
      continue;
    }
    const std::string text(xml);
    free(xml);
    const auto target = text.find("<target>");
    if (target != std::string::npos && text.find(needle, target) != std::string::npos) {
      const char* name = Virt().virStoragePoolGetName(pool.get());
      if (name != nullptr) return std::string(name);
    }
  }
  return absl::NotFoundError(pgha::StrCat("no storage pool has the directory ", dir));
}

absl::StatusOr<std::string> Connection::NetworkNameByUuid(const std::string& uuid) {
  virNetworkPtr n = Virt().virNetworkLookupByUUIDString(conn_.get(), uuid.c_str());
  if (n == nullptr) return LastError(pgha::StrCat("finding network ", uuid));
  std::unique_ptr<virNetwork, Releaser<&LibvirtApi::virNetworkFree>> network(n);
  const char* name = Virt().virNetworkGetName(n);
  if (name == nullptr) return LastError("reading the network's name");
  return std::string(name);
}

absl::Status Connection::ChangeMedia(virDomain* domain, const std::string& disk_xml, MediaScope scope) {
  unsigned int flags = static_cast<unsigned int>(VIR_DOMAIN_DEVICE_MODIFY_FORCE);
  flags |= static_cast<unsigned int>(scope == MediaScope::kLive ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG);
  if (Virt().virDomainUpdateDeviceFlags(domain, disk_xml.c_str(), flags) != 0) return LastError("changing the CD-ROM media");
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, std::string>> Connection::PoolAndNameOfPath(const std::string& path) {
  virStorageVolPtr v = Virt().virStorageVolLookupByPath(conn_.get(), path.c_str());
  if (v == nullptr) return LastError(pgha::StrCat("finding the volume at ", path));
  VolumePtr volume(v);
  virStoragePoolPtr p = Virt().virStoragePoolLookupByVolume(v);
  if (p == nullptr) return LastError(pgha::StrCat("finding the pool of ", path));
  PoolPtr pool(p);
  const char* pool_name = Virt().virStoragePoolGetName(p);
  const char* volume_name = Virt().virStorageVolGetName(v);
  if (pool_name == nullptr || volume_name == nullptr) return LastError("reading volume and pool names");
  return std::make_pair(std::string(pool_name), std::string(volume_name));
}

}  // namespace pgha::libvirt
