#include "value/json_codec.h"

#include "gtest/gtest.h"

namespace pgha::value {
namespace {

TEST(JsonCodec, StateObjectsFillMissingAttributesWithNull) {
  Type t = Type::Object({{"a", Type::String()}, {"n", Type::Number()}, {"l", Type::List(Type::Bool())}});
  auto v = DecodeJsonText(R"({"a": "x", "l": [true, false]})", t);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->GetAttr("a"), Value::String("x"));
  EXPECT_TRUE(v->GetAttr("n").IsNull());
  EXPECT_EQ(v->GetAttr("l").Length(), 2u);
  EXPECT_FALSE(DecodeJsonText(R"({"zzz": 1})", t).ok());
}

TEST(JsonCodec, RoundTripsEveryKind) {
  Type t = Type::Object({{"s", Type::String()},
                         {"n", Type::Number()},
                         {"m", Type::Map(Type::String())},
                         {"set", Type::Set(Type::Number())},
                         {"tup", Type::Tuple({Type::String(), Type::Bool()})},
                         {"d", Type::Dynamic()}});
  Value v = Value::Object({{"s", Value::String("é")},
                           {"n", Value::NumberValue(Number::Float(2.25))},
                           {"m", Value::Map(Type::String(), {{"k", Value::String("v")}})},
                           {"set", Value::Set(Type::Number(), {Value::Int(1), Value::Int(2)})},
                           {"tup", Value::Tuple({Value::String("a"), Value::Bool(true)})},
                           {"d", Value::StringList({"x"})}});
  auto back = DecodeJson(EncodeJson(v, t), t);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, v);
  EXPECT_EQ(EncodeJson(v, t)["d"]["type"], nlohmann::json::parse(R"(["list","string"])"));
}

}  // namespace
}  // namespace pgha::value
