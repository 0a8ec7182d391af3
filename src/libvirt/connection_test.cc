#include "libvirt/connection.h"

#include "gtest/gtest.h"

namespace pgha::libvirt {
namespace {

TEST(Connection, FailedUploadLeavesNoVolume) {
  auto conn = Connection::Open("test:///default");
  ASSERT_TRUE(conn.ok());
  auto pool = conn->LookupPool("default-pool");
  ASSERT_TRUE(pool.ok()) << pool.status();
  // The test driver cannot upload: the half-made volume must be removed.
  auto vol = conn->CreateVolumeWithData(pool->get(), "seed.iso", "data");
  ASSERT_FALSE(vol.ok());
  EXPECT_NE(std::string(vol.status().message()).find("uploading to volume seed.iso"), std::string::npos);
  EXPECT_EQ(conn->LookupVolume(pool->get(), "seed.iso").status().code(), absl::StatusCode::kNotFound);
}

TEST(Connection, BadUriIsAnErrorWithLibvirtsReason) {
  auto conn = Connection::Open("nosuchdriver:///x");
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(std::string(conn.status().message()).find("connecting to libvirt at nosuchdriver:///x"),
            std::string::npos);
}

}  // namespace
}  // namespace pgha::libvirt
