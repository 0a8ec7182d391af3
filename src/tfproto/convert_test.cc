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
