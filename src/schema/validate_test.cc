#include "schema/validate.h"

#include "gtest/gtest.h"
#include "value/json_codec.h"

namespace pgha::schema {
namespace {

using value::Value;

Schema Parse(const char* text) {
  auto s = ParseSchema(text);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

const char* kSchema = R"({
  "name": "x", "kind": "resource", "description": "d",
  "attributes": [
    {"name": "alg", "type": "string", "optional": true, "description": "d", "validators": [{"one_of": ["A", "B"]}]},
    {"name": "ips", "type": ["list", "string"], "optional": true, "description": "d", "validators": [{"ip_address": {}}]},
    {"name": "hours", "type": "number", "optional": true, "description": "d", "validators": [{"at_least": 1}]},
    {"name": "names", "type": ["list", "string"], "optional": true, "description": "d", "validators": [{"dns_name": {}}]}
  ],
  "blocks": [
    {"name": "nic", "nesting": "list", "description": "d",
     "attributes": [{"name": "ip", "type": "string", "optional": true, "description": "d", "validators": [{"ip_address": {}}]}]}
  ]})";

Value Config(Value alg, Value ips, Value hours, Value names, Value nics) {
  return Value::Object({{"alg", alg}, {"ips", ips}, {"hours", hours}, {"names", names}, {"nic", nics}});
}

TEST(Validate, ReportsEachProblemAtItsPath) {
  Schema s = Parse(kSchema);
  value::Type nic_type = s.type.attributes().at("nic").element();
  Value nics = Value::List(nic_type, {Value::Object({{"ip", Value::String("10.0.0.1")}}),
                                      Value::Object({{"ip", Value::String("10.0.0.300")}})});
  value::Diagnostics diags;
  ValidateConfig(s.block,
                 Config(Value::String("C"), Value::StringList({"::1", "nope"}), Value::Int(0),
                        Value::StringList({"ok.example", "-bad-.example", "*.wild.example"}), nics),
                 diags);
  std::vector<std::string> paths;
  for (const auto& d : diags.items()) {
    EXPECT_EQ(d.severity, value::Diagnostic::Severity::kError);
    ASSERT_TRUE(d.path);
    paths.push_back(d.path->ToString());
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"alg", "ips[1]", "hours", "names[1]", "nic[1].ip"}));
}

TEST(Validate, UnknownsAndNullsPass) {
  Schema s = Parse(kSchema);
  value::Diagnostics diags;
  ValidateConfig(s.block,
                 Config(Value::Unknown(value::Type::String()), Value::Null(value::Type::List(value::Type::String())),
                        Value::Unknown(value::Type::Number()),
                        Value::List(value::Type::String(), {Value::Unknown(value::Type::String())}),
                        Value::Unknown(s.type.attributes().at("nic"))),
                 diags);
  EXPECT_TRUE(diags.empty());
}

}  // namespace
}  // namespace pgha::schema

namespace pgha::schema {
namespace {

TEST(Validate, ANullElementIsReportedAtItsKey) {
  Schema s = ParseSchema(R"({
    "name": "x", "kind": "resource", "description": "d",
    "attributes": [
      {"name": "params", "type": ["map", "string"], "optional": true, "description": "d"},
      {"name": "list", "type": ["list", "string"], "optional": true, "description": "d"}
    ]})").value();
  value::Diagnostics diags;
  ValidateConfig(s.block,
                 value::Value::Object(
                     {{"params", value::Value::Map(value::Type::String(), {{"work_mem", value::Value::String("64MB")},
                                                                          {"shared_buffers", value::Value::Null(value::Type::String())}})},
                      {"list", value::Value::List(value::Type::String(), {value::Value::String("a"),
                                                                          value::Value::Null(value::Type::String())})}}),
                 diags);
  ASSERT_EQ(diags.items().size(), 2u);
  EXPECT_EQ(diags.items()[0].summary, "Null element in params");
  EXPECT_EQ(diags.items()[0].path->ToString(), "params[\"shared_buffers\"]");
  EXPECT_EQ(diags.items()[1].summary, "Null element in list");
  EXPECT_EQ(diags.items()[1].path->ToString(), "list[1]");
}

TEST(Validate, BlockRulesNameTheAttributeToChange) {
  Schema s = ParseSchema(R"({
    "name": "x", "kind": "resource", "description": "d",
    "blocks": [{"name": "tls", "nesting": "single", "description": "d",
      "rules": [{"exactly_one_of": ["cn", "hostname"]}, {"together": ["cert", "key"]}],
      "attributes": [
        {"name": "cn", "type": "string", "optional": true, "description": "d"},
        {"name": "hostname", "type": "string", "optional": true, "description": "d"},
        {"name": "cert", "type": "string", "optional": true, "description": "d"},
        {"name": "key", "type": "string", "optional": true, "description": "d"}]}]})").value();
  const Value null_string = Value::Null(value::Type::String());
  auto check = [&](Value cn, Value hostname, Value cert, Value key) {
    value::Diagnostics diags;
    ValidateConfig(s.block,
                   Value::Object({{"tls", Value::Object({{"cn", cn}, {"hostname", hostname}, {"cert", cert}, {"key", key}})}}),
                   diags);
    std::vector<std::string> paths;
    for (const auto& d : diags.items()) paths.push_back(d.path->ToString() + ": " + d.detail);
    return paths;
  };
  const Value a = Value::String("a");
  EXPECT_TRUE(check(a, null_string, a, a).empty());
  EXPECT_TRUE(check(null_string, a, null_string, null_string).empty());
  EXPECT_EQ(check(null_string, null_string, a, a),
            std::vector<std::string>{"tls.cn: Give exactly one of `cn`, `hostname`; none is set."});
  EXPECT_EQ(check(a, a, a, null_string),
            (std::vector<std::string>{"tls.hostname: Give exactly one of `cn`, `hostname`; 2 are set.",
                                      "tls.key: Give all or none of `cert`, `key`; only `cert` is set."}));
  // An unknown value may settle the rule either way: nothing is said yet.
  EXPECT_TRUE(check(Value::Unknown(value::Type::String()), a, a, Value::Unknown(value::Type::String())).empty());
}

TEST(Validate, UniqueByAndRequires) {
  Schema s = ParseSchema(R"({
    "name": "x", "kind": "resource", "description": "d",
    "rules": [{"requires": ["domain", "nameservers"]}],
    "attributes": [
      {"name": "domain", "type": "string", "optional": true, "description": "d"},
      {"name": "nameservers", "type": ["list", "string"], "optional": true, "description": "d"},
      {"name": "nodes", "optional": true, "description": "d", "validators": [{"unique_by": "name"}],
       "nested": {"nesting": "list", "attributes": [{"name": "name", "type": "string", "required": true, "description": "d"}]}}
    ]})").value();
  auto check = [&](const std::string& json) {
    value::Diagnostics diags;
    ValidateConfig(s.block, value::DecodeJsonText(json, s.type).value(), diags);
    std::vector<std::string> out;
    for (const auto& d : diags.items()) out.push_back(d.summary + " @ " + d.path->ToString());
    return out;
  };
  EXPECT_TRUE(check(R"({"domain": "pg.internal", "nameservers": ["10.0.0.1"], "nodes": [{"name": "a"}, {"name": "b"}]})").empty());
  EXPECT_TRUE(check(R"({"nodes": []})").empty());
  EXPECT_EQ(check(R"({"domain": "pg.internal"})"), std::vector<std::string>{"Missing nameservers @ nameservers"});
  EXPECT_EQ(check(R"({"nodes": [{"name": "a"}, {"name": "b"}, {"name": "a"}]})"),
            std::vector<std::string>{"Duplicate name in nodes @ nodes[2].name"});
  // unique_by must name an attribute of the nested objects.
  EXPECT_FALSE(ParseSchema(R"({"name": "x", "kind": "resource", "description": "d", "attributes": [
      {"name": "nodes", "optional": true, "description": "d", "validators": [{"unique_by": "nmae"}],
       "nested": {"nesting": "list", "attributes": [{"name": "name", "type": "string", "required": true, "description": "d"}]}}]})")
                   .ok());
}

TEST(Validate, ARuleMayNameAnOptionalSingleBlock) {
  Schema s = ParseSchema(R"({
    "name": "x", "kind": "resource", "description": "d",
    "rules": [{"requires": ["tls", "port"]}],
    "attributes": [{"name": "port", "type": "number", "optional": true, "description": "d"}],
    "blocks": [{"name": "tls", "nesting": "single", "description": "d",
                "attributes": [{"name": "cert", "type": "string", "required": true, "description": "d"}]}]})").value();
  auto check = [&](const std::string& json) {
    value::Diagnostics diags;
    ValidateConfig(s.block, value::DecodeJsonText(json, s.type).value(), diags);
    std::vector<std::string> out;
    for (const auto& d : diags.items()) out.push_back(d.summary + " @ " + d.path->ToString());
    return out;
  };
  EXPECT_TRUE(check(R"({"port": 1, "tls": {"cert": "c"}})").empty());
  EXPECT_TRUE(check(R"({"port": 1, "tls": null})").empty());
  EXPECT_EQ(check(R"({"port": null, "tls": {"cert": "c"}})"), std::vector<std::string>{"Missing port @ port"});
  // A list block or a required one is no "given or not" input.
  EXPECT_FALSE(ParseSchema(R"({"name": "x", "kind": "resource", "description": "d",
    "rules": [{"requires": ["tls", "port"]}],
    "attributes": [{"name": "port", "type": "number", "optional": true, "description": "d"}],
    "blocks": [{"name": "tls", "nesting": "list", "description": "d",
                "attributes": [{"name": "cert", "type": "string", "required": true, "description": "d"}]}]})").ok());
}

TEST(Validate, IpOrNetwork) {
  const Validator v{Validator::Kind::kIpOrNetwork};
  for (const char* ok : {"10.0.0.21", "10.0.0.0/24", "10.0.0.0/32", "fd00::23", "fd00::/64", "::/0"}) {
    EXPECT_EQ(CheckValidator(v, Value::String(ok)), "") << ok;
  }
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.300", "pg-1", "10.0.0.0/24 trust"}) {
    EXPECT_NE(CheckValidator(v, Value::String(bad)), "") << bad;
  }
}

TEST(Validate, RulesMustNameOptionalAttributesOfTheirBlock) {
  EXPECT_FALSE(ParseSchema(R"({"name": "x", "kind": "resource", "description": "d",
    "rules": [{"exactly_one_of": ["a", "b"]}],
    "attributes": [{"name": "a", "type": "string", "optional": true, "description": "d"}]})").ok());
  EXPECT_FALSE(ParseSchema(R"({"name": "x", "kind": "resource", "description": "d",
    "rules": [{"together": ["a", "b"]}],
    "attributes": [{"name": "a", "type": "string", "optional": true, "description": "d"},
                   {"name": "b", "type": "string", "required": true, "description": "d"}]})").ok());
}

}  // namespace
}  // namespace pgha::schema
