#include "schema/plan.h"

#include "gtest/gtest.h"

namespace pgha::schema {
namespace {

using value::Path;
using value::Type;
using value::Value;

Schema TestSchema() {
  auto s = ParseSchema(R"({
    "name": "x", "kind": "resource", "description": "d",
    "attributes": [
      {"name": "name", "type": "string", "required": true, "force_new": true, "description": "d"},
      {"name": "size", "type": "number", "optional": true, "computed": true, "default": 2, "description": "d"},
      {"name": "running", "type": "bool", "optional": true, "description": "d"},
      {"name": "id", "type": "string", "computed": true, "stable": true, "description": "d"},
      {"name": "digest", "type": "string", "computed": true, "description": "d"}
    ]})");
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

Value Obj(Value name, Value size, Value running, Value id, Value digest) {
  return Value::Object({{"name", name}, {"size", size}, {"running", running}, {"id", id}, {"digest", digest}});
}

TEST(Plan, CreateFillsDefaultsAndMarksComputedUnknown) {
  Schema s = TestSchema();
  Value config = Obj(Value::String("a"), Value::Null(Type::Number()), Value::Bool(true), Value::Null(Type::String()),
                     Value::Null(Type::String()));
  PlannedChange c = PlanChange(s, Value::Null(s.type), config, config);
  EXPECT_EQ(c.planned.GetAttr("size"), Value::Int(2));
  EXPECT_TRUE(c.planned.GetAttr("id").IsUnknown());
  EXPECT_TRUE(c.planned.GetAttr("digest").IsUnknown());
  EXPECT_EQ(c.planned.GetAttr("running"), Value::Bool(true));
  EXPECT_TRUE(c.requires_replace.empty());
}

TEST(Plan, UnchangedConfigKeepsThePriorState) {
  Schema s = TestSchema();
  Value prior = Obj(Value::String("a"), Value::Int(2), Value::Bool(true), Value::String("i-1"), Value::String("d1"));
  Value config = Obj(Value::String("a"), Value::Null(Type::Number()), Value::Bool(true), Value::Null(Type::String()),
                     Value::Null(Type::String()));
  // Terraform proposes prior values for null computed attributes.
  Value proposed = Obj(Value::String("a"), Value::Int(2), Value::Bool(true), Value::String("i-1"), Value::String("d1"));
  PlannedChange c = PlanChange(s, prior, proposed, config);
  EXPECT_EQ(c.planned, prior);
  EXPECT_TRUE(c.requires_replace.empty());
}

TEST(Plan, InPlaceChangeKeepsStableValuesAndRecomputesOthers) {
  Schema s = TestSchema();
  Value prior = Obj(Value::String("a"), Value::Int(2), Value::Bool(true), Value::String("i-1"), Value::String("d1"));
  Value config = Obj(Value::String("a"), Value::Null(Type::Number()), Value::Bool(false), Value::Null(Type::String()),
                     Value::Null(Type::String()));
  Value proposed =
      Obj(Value::String("a"), Value::Int(2), Value::Bool(false), Value::String("i-1"), Value::String("d1"));
  PlannedChange c = PlanChange(s, prior, proposed, config);
  EXPECT_EQ(c.planned.GetAttr("id"), Value::String("i-1"));
  EXPECT_TRUE(c.planned.GetAttr("digest").IsUnknown());
  EXPECT_TRUE(c.requires_replace.empty());
}

TEST(Plan, ForceNewChangeRequiresReplacement) {
  Schema s = TestSchema();
  Value prior = Obj(Value::String("a"), Value::Int(2), Value::Bool(true), Value::String("i-1"), Value::String("d1"));
  Value config = Obj(Value::String("b"), Value::Null(Type::Number()), Value::Bool(true), Value::Null(Type::String()),
                     Value::Null(Type::String()));
  Value proposed = Obj(Value::String("b"), Value::Int(2), Value::Bool(true), Value::String("i-1"), Value::String("d1"));
  PlannedChange c = PlanChange(s, prior, proposed, config);
  ASSERT_EQ(c.requires_replace.size(), 1u);
  EXPECT_EQ(c.requires_replace[0], Path::Of("name"));
  // An unknown force_new value may differ, so it replaces too.
  Value unknown_name =
      Obj(Value::Unknown(Type::String()), Value::Int(2), Value::Bool(true), Value::String("i-1"), Value::String("d1"));
  Value unknown_config = config.WithAttr("name", Value::Unknown(Type::String()));
  EXPECT_EQ(PlanChange(s, prior, unknown_name, unknown_config).requires_replace.size(), 1u);
}

}  // namespace
}  // namespace pgha::schema
