// libvirt and libxml2, loaded on first use with dlopen instead of at start.
// Only the VM resources need them, and together they pull in about 45 shared
// objects (GLib, GnuTLS, curl, Kerberos, ICU...) whose loading and
// constructors cost every provider process, certificates-only runs included,
// about half of its start-up and a third of its memory (docs/benchmarks.md).
// Every libvirt and libxml2 function pgha calls is in one of these tables.
#pragma once

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "absl/status/statusor.h"

namespace pgha::libvirt {

#define PGHA_LIBVIRT_FUNCTIONS(X)                                                                           \
  X(virInitialize) X(virSetErrorFunc) X(virGetLastErrorMessage) X(virGetLastErrorCode) X(virGetLastError)   \
  X(virResetLastError)                                                                                      \
  X(virConnectOpen) X(virConnectClose) X(virConnectListAllDomains) X(virConnectListAllStoragePools)         \
  X(virDomainDefineXML) X(virDomainLookupByName) X(virDomainLookupByUUIDString) X(virDomainGetName)         \
  X(virDomainGetUUIDString) X(virDomainIsActive) X(virDomainSetMetadata) X(virDomainCreate)                 \
  X(virDomainGetInfo) X(virDomainSetAutostart) X(virDomainGetAutostart) X(virDomainShutdownFlags)           \
  X(virDomainDestroy) X(virDomainUndefineFlags) X(virDomainUndefine) X(virDomainGetXMLDesc)                 \
  X(virDomainUpdateDeviceFlags) X(virDomainRename) X(virDomainFree)                                       \
  X(virStoragePoolLookupByName) X(virStoragePoolLookupByVolume) X(virStoragePoolGetName)                    \
  X(virStoragePoolGetXMLDesc) X(virStoragePoolFree)                                                         \
  X(virStorageVolCreateXML) X(virStorageVolLookupByName) X(virStorageVolLookupByKey)                        \
  X(virStorageVolLookupByPath) X(virStorageVolGetPath) X(virStorageVolGetName) X(virStorageVolDelete)       \
  X(virStorageVolUpload) X(virStorageVolDownload) X(virStorageVolFree)                                      \
  X(virStreamNew) X(virStreamSend) X(virStreamRecv) X(virStreamFinish) X(virStreamAbort) X(virStreamFree)   \
  X(virNetworkLookupByUUIDString) X(virNetworkGetName) X(virNetworkFree)

// libvirt-qemu: the guest agent's pass-through (guest-exec, guest-file-*),
// which libvirt's own API does not wrap.
#define PGHA_LIBVIRT_QEMU_FUNCTIONS(X) X(virDomainQemuAgentCommand)

// xmlFree is a variable (the deallocator libxml2 uses), so its entry is the
// variable's address: call it as (*api.xmlFree)(p).
#define PGHA_LIBXML2_FUNCTIONS(X)                                                                       \
  X(xmlReadMemory) X(xmlFreeDoc) X(xmlDocGetRootElement) X(xmlNodeGetContent) X(xmlXPathNewContext)    \
  X(xmlXPathFreeContext) X(xmlXPathEvalExpression) X(xmlXPathFreeObject) X(xmlFree)

#define PGHA_DECLARE_ENTRY(name) decltype(&::name) name = nullptr;

struct LibvirtApi {
  PGHA_LIBVIRT_FUNCTIONS(PGHA_DECLARE_ENTRY)
};

struct LibvirtQemuApi {
  PGHA_LIBVIRT_QEMU_FUNCTIONS(PGHA_DECLARE_ENTRY)
};

struct Libxml2Api {
  PGHA_LIBXML2_FUNCTIONS(PGHA_DECLARE_ENTRY)
};

#undef PGHA_DECLARE_ENTRY

// Loads libvirt.so.0 the first time (thread-safe) and returns its table, or
// FailedPrecondition naming the library and the Debian package that has it.
absl::StatusOr<const LibvirtApi*> LoadLibvirt();
absl::StatusOr<const Libxml2Api*> LoadLibxml2();
absl::StatusOr<const LibvirtQemuApi*> LoadLibvirtQemu();

// The table, once LoadLibvirt succeeded: every Connection implies it. Aborts otherwise.
const LibvirtApi& Virt();

namespace internal {
// Loads `soname` into a table of `names.size()` entries; what both loaders share.
absl::Status LoadTable(const char* soname, const char* package, const char* const* names, size_t count, void** table);
}  // namespace internal

}  // namespace pgha::libvirt
