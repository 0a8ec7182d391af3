#include "schema/schema.h"

#include "gtest/gtest.h"

namespace pgha::schema {
namespace {

TEST(Schema, EmbeddedSchemasLoad) {
  auto catalog = Catalog::LoadEmbedded();
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->provider().name, "pgha");
  ASSERT_NE(catalog->resource("pgha_certificate"), nullptr);
}

TEST(Schema, EveryAttributeIsDescribed) {
  auto catalog = Catalog::LoadEmbedded();
  ASSERT_TRUE(catalog.ok());
  for (const auto& name : catalog->resource_names()) {
    const Schema* s = catalog->resource(name);
    EXPECT_FALSE(s->block.description.empty()) << name;
    for (const auto& a : s->block.attributes) EXPECT_FALSE(a.description.empty()) << name << "." << a.name;
  }
}

TEST(Schema, RejectsWhatTerraformWouldReject) {
  const char* bad[] = {
      // neither required, optional nor computed
      R"({"name":"x","kind":"resource","description":"d","attributes":[{"name":"a","type":"string","description":"d"}]})",
      // required and computed
      R"({"name":"x","kind":"resource","description":"d","attributes":[{"name":"a","type":"string","required":true,"computed":true,"description":"d"}]})",
      // bad name
      R"({"name":"x","kind":"resource","description":"d","attributes":[{"name":"A-b","type":"string","optional":true,"description":"d"}]})",
      // duplicate
      R"({"name":"x","kind":"resource","description":"d","attributes":[{"name":"a","type":"string","optional":true,"description":"d"},{"name":"a","type":"string","optional":true,"description":"d"}]})",
      // default without computed
      R"({"name":"x","kind":"resource","description":"d","attributes":[{"name":"a","type":"string","optional":true,"default":"v","description":"d"}]})",
      // undescribed
      R"({"name":"x","kind":"resource","description":"d","attributes":[{"name":"a","type":"string","optional":true}]})",
      // dynamic inside a set
      R"({"name":"x","kind":"resource","description":"d","attributes":[{"name":"a","type":["set","dynamic"],"optional":true,"description":"d"}]})",
      // single block with max_items 2
      R"({"name":"x","kind":"resource","description":"d","blocks":[{"name":"b","nesting":"single","max_items":2,"description":"d"}]})",
      // invalid type
      R"({"name":"x","kind":"resource","description":"d","attributes":[{"name":"a","type":"strin","optional":true,"description":"d"}]})",
  };
  for (const char* doc : bad) EXPECT_FALSE(ParseSchema(doc).ok()) << doc;
}

TEST(Schema, ImpliedTypeFollowsNestingModes) {
  auto s = ParseSchema(R"({
    "name": "x", "kind": "resource", "description": "d",
    "attributes": [
      {"name": "obj", "optional": true, "description": "d",
       "nested": {"nesting": "list", "attributes": [{"name": "v", "type": "string", "required": true, "description": "d"}]}}
    ],
    "blocks": [
      {"name": "single", "nesting": "single", "description": "d", "attributes": [{"name": "a", "type": "string", "optional": true, "description": "d"}]},
      {"name": "group", "nesting": "group", "description": "d", "attributes": [{"name": "a", "type": "string", "optional": true, "description": "d"}]},
      {"name": "list", "nesting": "list", "min_items": 1, "max_items": 3, "description": "d", "attributes": [{"name": "a", "type": "string", "optional": true, "description": "d"}]},
      {"name": "set", "nesting": "set", "description": "d", "attributes": [{"name": "a", "type": "string", "optional": true, "description": "d"}]},
      {"name": "map", "nesting": "map", "description": "d", "attributes": [{"name": "a", "type": "string", "optional": true, "description": "d"}]},
      {"name": "dyn", "nesting": "list", "description": "d", "attributes": [{"name": "a", "type": "dynamic", "optional": true, "description": "d"}]}
    ]})");
  ASSERT_TRUE(s.ok()) << s.status();
  const auto& attrs = s->type.attributes();
  value::Type inner = value::Type::Object({{"a", value::Type::String()}});
  EXPECT_EQ(attrs.at("obj"), value::Type::List(value::Type::Object({{"v", value::Type::String()}})));
  EXPECT_EQ(attrs.at("single"), inner);
  EXPECT_EQ(attrs.at("group"), inner);
  EXPECT_EQ(attrs.at("list"), value::Type::List(inner));
  EXPECT_EQ(attrs.at("set"), value::Type::Set(inner));
  EXPECT_EQ(attrs.at("map"), value::Type::Map(inner));
  // Terraform implies a tuple (dynamic) when a list block holds dynamic values.
  EXPECT_EQ(attrs.at("dyn"), value::Type::Dynamic());
}

}  // namespace
}  // namespace pgha::schema

namespace pgha::schema {
namespace {

TEST(Schema, FragmentsAreDeclaredOnceAndIncluded) {
  const char* fragment = R"({"name": "vm", "kind": "fragment",
    "attributes": [{"name": "vcpus", "type": "number", "optional": true, "description": "d"}],
    "blocks": [{"name": "chrony", "nesting": "single", "description": "d",
                "attributes": [{"name": "enabled", "type": "bool", "optional": true, "description": "d"}]}]})";
  const char* provider = R"({"name": "pgha", "kind": "provider", "description": "d"})";
  const char* a = R"({"name": "pgha_a", "kind": "resource", "description": "d", "include": ["vm"],
    "attributes": [{"name": "own", "type": "string", "optional": true, "description": "d"}]})";
  const char* b = R"({"name": "pgha_b", "kind": "resource", "description": "d", "include": ["vm"]})";
  auto catalog = Catalog::FromDocuments({fragment, provider, a, b});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const Schema* sa = catalog->resource("pgha_a");
  ASSERT_EQ(sa->block.attributes.size(), 2u);
  EXPECT_EQ(sa->block.attributes[0].name, "vcpus");  // included first
  EXPECT_EQ(sa->block.attributes[1].name, "own");
  EXPECT_NE(sa->block.FindBlock("chrony"), nullptr);
  EXPECT_NE(catalog->resource("pgha_b")->block.FindAttribute("vcpus"), nullptr);
  EXPECT_EQ(catalog->resource("vm"), nullptr);  // a fragment is not a resource
  const char* bad = R"({"name": "pgha_c", "kind": "resource", "description": "d", "include": ["nope"]})";
  EXPECT_FALSE(Catalog::FromDocuments({provider, bad}).ok());
}

TEST(Schema, TheEmbeddedCatalogListsEverySchemaWithoutParsingAny) {
  // Names and kinds come from the build (CMake reads them from the JSON), so
  // the index matches what parsing every document gives.
  auto parsed = Catalog::LoadEmbedded();
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Catalog& lazy = Catalog::Embedded();
  EXPECT_EQ(lazy.resource_names(), parsed->resource_names());
  EXPECT_EQ(lazy.data_source_names(), parsed->data_source_names());
  EXPECT_GE(lazy.resource_names().size(), 4u);
  for (const auto& name : lazy.resource_names()) {
    ASSERT_NE(lazy.resource(name), nullptr) << name;
    EXPECT_EQ(lazy.resource(name)->name, name);
    EXPECT_EQ(lazy.resource(name)->type, parsed->resource(name)->type) << name;
    EXPECT_EQ(lazy.data_source(name), nullptr) << name;
  }
  // The same object every time: parsed once.
  EXPECT_EQ(lazy.resource("pgha_certificate"), lazy.resource("pgha_certificate"));
  EXPECT_EQ(lazy.resource("pgha_nope"), nullptr);
}

TEST(Schema, AFragmentIsParsedOnlyWhenASchemaAskedForIncludesIt) {
  auto catalog = Catalog::Lazy(EmbeddedSchemas());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  // Every process configures the provider: its schema includes no fragment.
  EXPECT_FALSE(catalog->provider().name.empty());
  EXPECT_EQ(catalog->parsed_fragments(), 0u);
  ASSERT_NE(catalog->resource("pgha_certificate"), nullptr);
  EXPECT_EQ(catalog->parsed_fragments(), 0u);
  // guest, machine and etcd_role, and nic_address that machine includes; not the other roles'.
  ASSERT_NE(catalog->resource("pgha_etcd_member"), nullptr);
  EXPECT_EQ(catalog->parsed_fragments(), 4u);
  ASSERT_NE(catalog->resource("pgha_haproxy_lb"), nullptr);  // + haproxy_role, metrics_tls
  EXPECT_EQ(catalog->parsed_fragments(), 6u);
}

TEST(Schema, AMisfiledDocumentIsAnError) {
  const char* provider = R"({"name": "pgha", "kind": "provider", "description": "d"})";
  const char* unknown_kind = R"({"name": "pgha_a", "kind": "widget", "description": "d"})";
  EXPECT_FALSE(Catalog::FromDocuments({provider, unknown_kind}).ok());
  const char* twice = R"({"name": "pgha_a", "kind": "resource", "description": "d"})";
  EXPECT_FALSE(Catalog::FromDocuments({provider, twice, twice}).ok());
  EXPECT_FALSE(Catalog::FromDocuments({twice}).ok());  // no provider schema
  const char* fragment = R"({"name": "vm", "kind": "fragment", "attributes": []})";
  EXPECT_FALSE(Catalog::FromDocuments({provider, fragment, fragment}).ok());
}

}  // namespace
}  // namespace pgha::schema
