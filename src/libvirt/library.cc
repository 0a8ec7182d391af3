#include "libvirt/library.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "base/strings.h"

namespace pgha::libvirt {
namespace internal {

absl::Status LoadTable(const char* soname, const char* package, const char* const* names, size_t count,
                       void** table) {
  // RTLD_LOCAL: its symbols stay out of the global namespace our own code resolves against.
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = dlerror();
    return absl::FailedPreconditionError(
        pgha::StrCat("pgha's virtual machine resources need ", soname, " (Debian package ", package,
                     ") on the machine running Terraform, and it could not be loaded: ",
                     error ? error : "unknown error"));
  }
  for (size_t i = 0; i < count; ++i) {
    dlerror();
    table[i] = dlsym(handle, names[i]);
    if (table[i] == nullptr) {
      // Never closed: a half-filled table is discarded, the library stays mapped.
      return absl::FailedPreconditionError(
          pgha::StrCat(soname, " on this machine lacks ", names[i], ", which pgha needs; install a newer ", package));
    }
  }
  return absl::OkStatus();
}

}  // namespace internal

namespace {

#define PGHA_ENTRY_NAME(name) #name,

template <typename Api>
struct Loaded {
  std::once_flag once;
  absl::Status status;
  Api api;
};

template <typename Api, size_t N>
absl::StatusOr<const Api*> LoadOnce(Loaded<Api>& loaded, const char* soname, const char* package,
                                    const char* const (&names)[N]) {
  // The table is a run of function pointers in declaration order, one per name.
  static_assert(sizeof(Api) == N * sizeof(void*));
  std::call_once(loaded.once, [&] {
    void* table[N] = {};
    loaded.status = internal::LoadTable(soname, package, names, N, table);
    if (loaded.status.ok()) std::memcpy(static_cast<void*>(&loaded.api), table, sizeof(table));
  });
  if (!loaded.status.ok()) return loaded.status;
  return &loaded.api;
}

Loaded<LibvirtApi>& LibvirtState() {
  static auto* state = new Loaded<LibvirtApi>();
  return *state;
}

}  // namespace

absl::StatusOr<const LibvirtApi*> LoadLibvirt() {
  static constexpr const char* kNames[] = {PGHA_LIBVIRT_FUNCTIONS(PGHA_ENTRY_NAME)};
  return LoadOnce(LibvirtState(), "libvirt.so.0", "libvirt0", kNames);
}

absl::StatusOr<const Libxml2Api*> LoadLibxml2() {
  static auto* state = new Loaded<Libxml2Api>();
  static constexpr const char* kNames[] = {PGHA_LIBXML2_FUNCTIONS(PGHA_ENTRY_NAME)};
  return LoadOnce(*state, "libxml2.so.2", "libxml2", kNames);
}

absl::StatusOr<const LibvirtQemuApi*> LoadLibvirtQemu() {
  static auto* state = new Loaded<LibvirtQemuApi>();
  static constexpr const char* kNames[] = {PGHA_LIBVIRT_QEMU_FUNCTIONS(PGHA_ENTRY_NAME)};
  return LoadOnce(*state, "libvirt-qemu.so.0", "libvirt0", kNames);
}

const LibvirtApi& Virt() {
  auto api = LoadLibvirt();
  if (!api.ok()) {
    std::fprintf(stderr, "pgha: libvirt used before it was loaded: %s\n", std::string(api.status().message()).c_str());
    std::abort();
  }
  return **api;
}

}  // namespace pgha::libvirt
