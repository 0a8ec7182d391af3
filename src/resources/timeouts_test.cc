#include "resources/timeouts.h"

#include "resources/resource_test_support.h"

namespace pgha::resources {
namespace {

using value::Value;

class TimeoutsTest : public ResourceTest {};

// The schema's default when the block or the operation is left out; the duration as written otherwise.
TEST_F(TimeoutsTest, AnOperationsTimeoutIsItsDurationOrTheSchemasDefault) {
  const Resource& membership = Get("pgha_etcd_membership");
  const Value config = Config(membership, R"({"endpoints": ["https://10.0.0.11:2379"], "name": "etcd-4",
    "peer_url": "https://10.0.0.14:2380", "ca_cert": "CA", "timeouts": {"create": "1h30m"}})");
  const schema::Reader reader(membership.schema().block, config);
  EXPECT_EQ(TimeoutOf(reader, "create"), std::chrono::minutes(90));
  EXPECT_EQ(TimeoutOf(reader, "delete"), std::chrono::minutes(10));
}

}  // namespace
}  // namespace pgha::resources
