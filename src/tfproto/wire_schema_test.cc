#include "tfproto/wire_schema.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "gtest/gtest.h"

namespace pgha::tfproto {
namespace {

// Map entries in key order, so equal messages give equal bytes.
std::string Deterministic(const google::protobuf::MessageLite& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&out);
  return bytes;
}

TEST(WireSchema, TheBuiltInBytesAreTheSchemasOfThisSource) {
  // What the build wrote must be what schemas/ gives now: a stale generated
  // file would serve Terraform a schema the code does not read.
  auto catalog = schema::Catalog::LoadEmbedded();
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const auto expected = BuildSchemaResponse(*catalog);
  tfplugin6::GetProviderSchema::Response embedded;
  const std::string_view bytes = EmbeddedSchemaResponse();
  ASSERT_TRUE(embedded.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  EXPECT_EQ(Deterministic(embedded), Deterministic(expected));
  EXPECT_EQ(std::string(bytes), Deterministic(expected));
  EXPECT_EQ(embedded.resource_schemas().size(), catalog->resource_names().size());
  EXPECT_TRUE(embedded.resource_schemas().contains("pgha_certificate"));
  EXPECT_TRUE(embedded.server_capabilities().plan_destroy());
}

}  // namespace
}  // namespace pgha::tfproto
