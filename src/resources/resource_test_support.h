// Test support for the resources' own tests: the embedded schemas and the
// registry, and a resource driven the way the provider drives it (validate,
// plan through schema::PlanChange and ModifyPlan), from a JSON configuration.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "gtest/gtest.h"
#include "support/base64.h"
#include "resources/registry.h"
#include "schema/plan.h"
#include "schema/validate.h"
#include "value/json_codec.h"

namespace pgha::resources {

class ResourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = schema::Catalog::LoadEmbedded();
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::make_unique<schema::Catalog>(*std::move(catalog));
    auto registry = Registry::Build(*catalog_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::make_unique<Registry>(*std::move(registry));
  }

  const Resource& Get(const std::string& type) const {
    const Resource* r = registry_->Find(type);
    EXPECT_NE(r, nullptr) << type;
    return *r;
  }

  // A configuration of `resource`'s type from JSON; attributes left out are null.
  static value::Value Config(const Resource& resource, const std::string& json) {
    auto v = value::DecodeJsonText(json, resource.schema().type);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : value::Value::Null(resource.schema().type);
  }

  // Schema validation and the resource's own, as "summary @ path" for each error and warning.
  static std::vector<std::string> Diagnose(const Resource& resource, const value::Value& config) {
    value::Diagnostics diags;
    schema::ValidateConfig(resource.schema().block, config, diags);
    resource.ValidateConfig(config, diags);
    std::vector<std::string> out;
    for (const auto& d : diags.items()) {
      out.push_back(d.summary + " @ " + (d.path ? d.path->ToString() : ""));
    }
    return out;
  }

  // The plan for creating `config` (no prior state), as the provider computes it.
  static schema::PlannedChange PlanCreate(const Resource& resource, const value::Value& config,
                                          value::Diagnostics& diags) {
    static const Cancellation cancel;
    const Context ctx{value::Value(), cancel, 0};
    schema::PlannedChange plan = schema::PlanChange(resource.schema(), value::Value(), config, config);
    resource.ModifyPlan(ctx, value::Value(), config, plan, diags);
    return plan;
  }

  std::unique_ptr<schema::Catalog> catalog_;
  std::unique_ptr<Registry> registry_;
};

// The content of the file at `path` in a user-data document, decoded; "" when absent.
inline std::string FileIn(const std::string& user_data, const std::string& path) {
  YAML::Node doc = YAML::Load(user_data);
  for (const auto& f : doc["write_files"]) {
    if (f["path"].as<std::string>() != path) continue;
    const std::string content = f["content"].as<std::string>();
    if (!f["encoding"].IsDefined()) return content;
    return pgha::testing::DecodeBase64(content).value_or("");
  }
  return "";
}

inline bool Contains(const std::vector<std::string>& items, const std::string& what) {
  for (const auto& item : items) {
    if (item.find(what) != std::string::npos) return true;
  }
  return false;
}

}  // namespace pgha::resources
