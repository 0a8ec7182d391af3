#include "tfproto/convert.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace pgha::tfproto {
namespace {

TEST(Convert, SchemaCarriesEveryFlagTerraformReads) {
  auto s = schema::ParseSchema(R"({
    "name": "x", "kind": "resource", "version": 3, "description": "Block docs.",
    "attributes": [
      {"name": "secret", "type": "string", "optional": true, "sensitive": true, "description": "S."},
      {"name": "out", "type": ["list", "string"], "computed": true, "description": "O."},
      {"name": "nested", "optional": true, "description": "N.",
       "nested": {"nesting": "map", "attributes": [{"name": "v", "type": "number", "required": true, "description": "V."}]}}
    ],
    "blocks": [
      {"name": "nic", "nesting": "list", "min_items": 1, "max_items": 4, "description": "NIC.",
       "attributes": [{"name": "ip", "type": "string", "required": true, "description": "IP."}]}
    ]})");
  ASSERT_TRUE(s.ok()) << s.status();
  tfplugin6::Schema out;
  ToProto(*s, &out);
  EXPECT_EQ(out.version(), 3);
  EXPECT_EQ(out.block().description(), "Block docs.");
  ASSERT_EQ(out.block().attributes_size(), 3);
  const auto& secret = out.block().attributes(0);
  EXPECT_TRUE(secret.sensitive() && secret.optional() && !secret.required() && !secret.computed());
  EXPECT_EQ(secret.type(), "\"string\"");
  EXPECT_EQ(secret.description_kind(), tfplugin6::MARKDOWN);
  EXPECT_EQ(nlohmann::json::parse(out.block().attributes(1).type()), nlohmann::json::parse(R"(["list","string"])"));
  const auto& nested = out.block().attributes(2);
  // Exactly one of type and nested_type.
  EXPECT_TRUE(nested.type().empty());
  EXPECT_EQ(nested.nested_type().nesting(), tfplugin6::Schema::Object::MAP);
  EXPECT_TRUE(nested.nested_type().attributes(0).required());
  ASSERT_EQ(out.block().block_types_size(), 1);
  const auto& nic = out.block().block_types(0);
  EXPECT_EQ(nic.type_name(), "nic");
  EXPECT_EQ(nic.nesting(), tfplugin6::Schema::NestedBlock::LIST);
  EXPECT_EQ(nic.min_items(), 1);
  EXPECT_EQ(nic.max_items(), 4);
  EXPECT_EQ(nic.block().description(), "NIC.");
}

TEST(Convert, DiagnosticsKeepSeverityAndPath) {
  value::Diagnostics diags;
  diags.AddError("Bad", "Detail.", value::Path::Of("nic").Index(2).Attr("ip"));
  diags.AddWarning("Careful", "More.", value::Path::Of("tags").Key("env"));
  tfplugin6::ValidateResourceConfig::Response response;
  AppendDiagnostics(diags, response.mutable_diagnostics());
  ASSERT_EQ(response.diagnostics_size(), 2);
  EXPECT_EQ(response.diagnostics(0).severity(), tfplugin6::Diagnostic::ERROR);
  EXPECT_EQ(response.diagnostics(1).severity(), tfplugin6::Diagnostic::WARNING);
  const auto& steps = response.diagnostics(0).attribute().steps();
  ASSERT_EQ(steps.size(), 3);
  EXPECT_EQ(steps[0].attribute_name(), "nic");
  EXPECT_EQ(steps[1].element_key_int(), 2);
  EXPECT_EQ(steps[2].attribute_name(), "ip");
  EXPECT_EQ(response.diagnostics(1).attribute().steps(1).element_key_string(), "env");
  EXPECT_EQ(FromProto(response.diagnostics(0).attribute()), value::Path::Of("nic").Index(2).Attr("ip"));
}

TEST(Convert, AbsentDynamicValueIsNull) {
  tfplugin6::DynamicValue empty;
  auto v = Decode(empty, value::Type::String());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->IsNull());
  tfplugin6::DynamicValue json;
  json.set_json(R"({"a":"x"})");
  auto obj = Decode(json, value::Type::Object({{"a", value::Type::String()}}));
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(obj->GetAttr("a"), value::Value::String("x"));
}

}  // namespace
}  // namespace pgha::tfproto

namespace pgha::tfproto {
namespace {

using value::Type;
using value::Value;

// A value shaped by blocks of every nesting mode and nested attributes of
// every nesting mode survives the trip through DynamicValue, with nulls and
// unknowns at every level.
TEST(Convert, EveryNestingModeRoundTripsThroughMsgpack) {
  const char* inner = R"([{"name": "v", "type": "string", "optional": true, "description": "d"}])";
  std::string doc = std::string(R"({"name": "x", "kind": "resource", "description": "d", "attributes": [)") +
                    R"({"name": "n_single", "optional": true, "description": "d", "nested": {"nesting": "single", "attributes": )" + inner + "}}," +
                    R"({"name": "n_list", "optional": true, "description": "d", "nested": {"nesting": "list", "attributes": )" + inner + "}}," +
                    R"({"name": "n_set", "optional": true, "description": "d", "nested": {"nesting": "set", "attributes": )" + inner + "}}," +
                    R"({"name": "n_map", "optional": true, "description": "d", "nested": {"nesting": "map", "attributes": )" + inner + "}}," +
                    R"({"name": "any", "type": "dynamic", "optional": true, "description": "d"}], "blocks": [)" +
                    R"({"name": "b_single", "nesting": "single", "description": "d", "attributes": )" + inner + "}," +
                    R"({"name": "b_group", "nesting": "group", "description": "d", "attributes": )" + inner + "}," +
                    R"({"name": "b_list", "nesting": "list", "description": "d", "attributes": )" + inner + "}," +
                    R"({"name": "b_set", "nesting": "set", "description": "d", "attributes": )" + inner + "}," +
                    R"({"name": "b_map", "nesting": "map", "description": "d", "attributes": )" + inner + "}]}";
  auto s = schema::ParseSchema(doc);
  ASSERT_TRUE(s.ok()) << s.status();
  Type obj = Type::Object({{"v", Type::String()}});
  auto o = [](Value v) { return Value::Object({{"v", std::move(v)}}); };
  Value value = Value::Object({
      {"n_single", o(Value::String("a"))},
      {"n_list", Value::List(obj, {o(Value::String("b")), o(Value::Unknown(Type::String()))})},
      {"n_set", Value::Set(obj, {o(Value::String("c")), o(Value::Null(Type::String()))})},
      {"n_map", Value::Map(obj, {{"k", o(Value::String("d"))}})},
      {"any", Value::Tuple({Value::String("t"), Value::Int(7)})},
      {"b_single", Value::Null(obj)},
      {"b_group", o(Value::Null(Type::String()))},
      {"b_list", Value::List(obj, {})},
      {"b_set", Value::Set(obj, {o(Value::String("e"))})},
      {"b_map", Value::Unknown(Type::Map(obj))},
  });
  tfplugin6::DynamicValue wire;
  Encode(value, s->type, &wire);
  auto back = Decode(wire, s->type);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, value);
  EXPECT_TRUE(back->GetAttr("b_map").IsUnknown());
  EXPECT_TRUE(back->GetAttr("b_single").IsNull());
  EXPECT_EQ(back->GetAttr("b_list").Length(), 0u);  // an absent list block is empty, not null
  EXPECT_EQ(back->GetAttr("any").type(), Type::Tuple({Type::String(), Type::Number()}));
}

}  // namespace
}  // namespace pgha::tfproto
