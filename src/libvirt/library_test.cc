#include "libvirt/library.h"

#include <link.h>

#include <cstring>

#include "gtest/gtest.h"
#include "libvirt/connection.h"

namespace pgha::libvirt {
namespace {

// Whether the process has libvirt mapped right now.
bool LibvirtIsMapped() {
  bool found = false;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        if (info->dlpi_name != nullptr && std::strstr(info->dlpi_name, "/libvirt.so") != nullptr) {
          *static_cast<bool*>(data) = true;
        }
        return 0;
      },
      &found);
  return found;
}

TEST(Library, AMissingLibraryNamesItAndItsPackage) {
  const char* names[] = {"virConnectOpen"};
  void* table[1] = {};
  absl::Status s = internal::LoadTable("libpgha-no-such-thing.so.0", "pgha-no-such-package", names, 1, table);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(s.message()).find("libpgha-no-such-thing.so.0 (Debian package pgha-no-such-package)"),
            std::string::npos)
      << s;
}

TEST(Library, AMissingFunctionIsNamed) {
  const char* names[] = {"malloc", "pgha_no_such_function"};
  void* table[2] = {};
  absl::Status s = internal::LoadTable("libc.so.6", "libc6", names, 2, table);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(s.message()).find("lacks pgha_no_such_function"), std::string::npos) << s;
}

TEST(Library, LoadsEveryFunctionPghaCalls) {
  auto virt = LoadLibvirt();
  ASSERT_TRUE(virt.ok()) << virt.status();
  EXPECT_NE((*virt)->virConnectOpen, nullptr);
  EXPECT_NE((*virt)->virNetworkFree, nullptr);
  EXPECT_TRUE(LibvirtIsMapped());
  auto xml = LoadLibxml2();
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_NE((*xml)->xmlFree, nullptr);
  // Loading twice gives the same table.
  EXPECT_EQ(*LoadLibvirt(), *virt);
}

}  // namespace
}  // namespace pgha::libvirt
