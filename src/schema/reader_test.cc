#include "schema/reader.h"

#include "gtest/gtest.h"
#include "value/json_codec.h"

namespace pgha::schema {
namespace {

using value::Value;

const char* kSchema = R"({
  "name": "x", "kind": "resource", "description": "d",
  "attributes": [
    {"name": "name", "type": "string", "required": true, "description": "d"},
    {"name": "ttl", "type": "number", "optional": true, "computed": true, "default": 30, "description": "d"},
    {"name": "step", "type": "number", "optional": true, "description": "d"},
    {"name": "tags", "type": ["list", "string"], "optional": true, "description": "d"},
    {"name": "params", "type": ["map", "string"], "optional": true, "description": "d"},
    {"name": "forward", "optional": true, "description": "d",
     "nested": {"nesting": "single", "attributes": [
       {"name": "port", "type": "number", "optional": true, "computed": true, "default": 24224, "description": "d"}]}}
  ],
  "blocks": [
    {"name": "patroni", "nesting": "single", "description": "d", "attributes": [
      {"name": "scope", "type": "string", "optional": true, "computed": true, "default": "pgha", "description": "d"},
      {"name": "strict", "type": "bool", "optional": true, "computed": true, "default": true, "description": "d"}]},
    {"name": "nic", "nesting": "list", "description": "d", "attributes": [
      {"name": "ip", "type": "string", "required": true, "description": "d"}]}
  ]})";

class ReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ParseSchema(kSchema);
    ASSERT_TRUE(s.ok()) << s.status();
    schema_ = *std::move(s);
  }
  Value Decode(const std::string& json) {
    auto v = value::DecodeJsonText(json, schema_.type);
    EXPECT_TRUE(v.ok()) << v.status();
    return *v;
  }
  Schema schema_;
};

TEST_F(ReaderTest, NullReadsAsTheSchemasDefaultInsideOmittedBlocksToo) {
  const Value config = Decode(R"({"name": "pg-1", "step": 0.5, "tags": ["a", "b"], "params": {"b": "2", "a": "1"},
                                  "nic": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]})");
  Reader r(schema_.block, config);
  EXPECT_EQ(r.String("name"), "pg-1");
  EXPECT_EQ(r.Int("ttl"), 30);
  EXPECT_EQ(r.NumberText("step"), "0.5");
  EXPECT_EQ(r.Strings("tags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.StringMap("params"), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}}));
  // The omitted block and nested object read as their defaults, and say they are absent.
  EXPECT_FALSE(r.IsSet("patroni"));
  EXPECT_FALSE(r.Object("patroni").present());
  EXPECT_EQ(r.Object("patroni").String("scope"), "pgha");
  EXPECT_TRUE(r.Object("patroni").Bool("strict"));
  EXPECT_EQ(r.Object("forward").Int("port"), 24224);
  const auto nics = r.Objects("nic");
  ASSERT_EQ(nics.size(), 2u);
  EXPECT_EQ(nics[1].String("ip"), "10.0.0.2");
  // Given values win over defaults.
  const Value given = Decode(R"({"name": "pg-1", "ttl": 20, "patroni": {"scope": "main", "strict": false}})");
  Reader g(schema_.block, given);
  EXPECT_EQ(g.Int("ttl"), 20);
  EXPECT_EQ(g.Object("patroni").String("scope"), "main");
  EXPECT_FALSE(g.Object("patroni").Bool("strict"));
  EXPECT_TRUE(g.IsSet("ttl"));
  EXPECT_FALSE(g.IsSet("step"));
}

TEST_F(ReaderTest, AMisspelledOrMistypedReadAborts) {
  const Value config = Decode(R"({"name": "pg-1"})");
  Reader r(schema_.block, config);
  EXPECT_DEATH(r.String("nmae"), "reading nmae: no such attribute");
  EXPECT_DEATH(r.Object("patroni").String("scoep"), "reading patroni.scoep: no such attribute");
  EXPECT_DEATH(r.Int("name"), "reading name: the schema's type is string");
  EXPECT_DEATH(r.Object("nic"), "a block of several elements");
}

}  // namespace
}  // namespace pgha::schema
