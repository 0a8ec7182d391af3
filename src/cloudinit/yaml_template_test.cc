#include "cloudinit/yaml_template.h"

#include <yaml-cpp/yaml.h>

#include "gtest/gtest.h"

namespace pgha::cloudinit {
namespace {

TEST(YamlTemplate, ValuesKeepTheirTypesAndCannotChangeStructure) {
  const char* tmpl = R"(
name: "{{ name }}"
quota: "{{quota}}"
gateway: "{{ gateway }}"
peers: "{{ peers }}"
nested:
  - fixed
  - "{{ name }}"
)";
  auto out = RenderYamlTemplate(tmpl, {{"name", std::string("etcd-1\nevil: true")},
                                      {"quota", int64_t{8589934592}},
                                      {"gateway", true},
                                      {"peers", std::vector<std::string>{"a", "b: c"}}});
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = YAML::Load(*out);
  EXPECT_EQ(doc["name"].as<std::string>(), "etcd-1\nevil: true");
  EXPECT_FALSE(doc["evil"].IsDefined());
  EXPECT_EQ(doc["quota"].as<int64_t>(), 8589934592);
  EXPECT_EQ(doc["gateway"].as<bool>(), true);
  EXPECT_EQ(doc["peers"][1].as<std::string>(), "b: c");
  EXPECT_EQ(doc["nested"][1].as<std::string>(), "etcd-1\nevil: true");
}

TEST(YamlTemplate, MapsKeepOrderAndOmittedValuesDisappear) {
  const char* tmpl = R"(
params: "{{ params }}"
etcd:
  cert: "{{ cert }}"
  hosts: ["{{ first }}", fixed, "{{ gone }}"]
)";
  auto out = RenderYamlTemplate(tmpl, {{"params", StringMap{{"work_mem", "64MB"}, {"a: b", "c\nd"}}},
                                      {"cert", kOmit},
                                      {"first", std::string("h1")},
                                      {"gone", kOmit}});
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = YAML::Load(*out);
  EXPECT_EQ(doc["params"]["work_mem"].as<std::string>(), "64MB");
  EXPECT_EQ(doc["params"]["a: b"].as<std::string>(), "c\nd");
  EXPECT_FALSE(doc["etcd"]["cert"].IsDefined());
  ASSERT_EQ(doc["etcd"]["hosts"].size(), 2u);
  EXPECT_EQ(doc["etcd"]["hosts"][0].as<std::string>(), "h1");
  EXPECT_EQ(doc["etcd"]["hosts"][1].as<std::string>(), "fixed");
  EXPECT_EQ(out->find("omit"), std::string::npos);
}

TEST(YamlTemplate, ASectionWhoseSettingsAreAllOmittedGoesWithThem) {
  const char* tmpl = R"(
postgresql:
  method:
    command: "{{ command }}"
    keep_data: "{{ keep }}"
  partly:
    kept: "{{ kept }}"
    gone: "{{ gone }}"
  empty_in_template: {}
)";
  auto out = RenderYamlTemplate(
      tmpl, {{"command", kOmit}, {"keep", kOmit}, {"kept", true}, {"gone", kOmit}});
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = YAML::Load(*out);
  EXPECT_FALSE(doc["postgresql"]["method"].IsDefined()) << *out;
  EXPECT_TRUE(doc["postgresql"]["partly"]["kept"].as<bool>());
  EXPECT_FALSE(doc["postgresql"]["partly"]["gone"].IsDefined());
  // Only omission removes a section: one the template writes empty stays.
  EXPECT_TRUE(doc["postgresql"]["empty_in_template"].IsMap()) << *out;

  auto full = RenderYamlTemplate(
      tmpl, {{"command", std::string("restore")}, {"keep", true}, {"kept", true}, {"gone", kOmit}});
  ASSERT_TRUE(full.ok()) << full.status();
  doc = YAML::Load(*full);
  EXPECT_EQ(doc["postgresql"]["method"]["command"].as<std::string>(), "restore");
  EXPECT_TRUE(doc["postgresql"]["method"]["keep_data"].as<bool>());
}

TEST(YamlTemplate, StringValuesStayStringsForYaml11Readers) {
  auto out = RenderYamlTemplate("a: \"{{ a }}\"\nb: \"{{ b }}\"\nc: \"{{ c }}\"\nliteral: \"0.0\"\nn: 3\n",
                                {{"a", std::string("150")}, {"b", std::string("on")}, {"c", StringMap{{"x", "1e3"}}}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_NE(out->find("a: \"150\""), std::string::npos) << *out;
  EXPECT_NE(out->find("b: \"on\""), std::string::npos) << *out;
  EXPECT_NE(out->find("\"x\": \"1e3\""), std::string::npos) << *out;
  EXPECT_NE(out->find("literal: \"0.0\""), std::string::npos) << *out;
  EXPECT_NE(out->find("n: 3"), std::string::npos) << *out;
}

TEST(YamlTemplate, PlaceholdersAndValuesMustMatch) {
  EXPECT_FALSE(RenderYamlTemplate("a: \"{{ x }}\"\n", {}).ok());
  EXPECT_FALSE(RenderYamlTemplate("a: 1\n", {{"x", std::string("v")}}).ok());
  EXPECT_FALSE(RenderYamlTemplate("a: [unclosed\n", {}).ok());
}

TEST(YamlTemplate, EmbeddedTemplatesAreThere) {
  auto etcd = EmbeddedTemplate("etcd/etcd.yml");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  EXPECT_NE(etcd->find("{{ name }}"), std::string_view::npos);
  EXPECT_FALSE(EmbeddedTemplate("nope.yml").ok());
}

}  // namespace
}  // namespace pgha::cloudinit
