#include "value/type.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "value/path.h"

namespace pgha::value {
namespace {

TEST(Type, TypeConstraintJsonRoundTrips) {
  for (const char* text : {R"("string")", R"("number")", R"("bool")", R"("dynamic")", R"(["list","string"])",
                           R"(["set",["map","number"]])", R"(["object",{"a":"string","b":["list","bool"]}])",
                           R"(["tuple",["string","number"]])"}) {
    auto t = Type::FromJsonText(text);
    ASSERT_TRUE(t.ok()) << text;
    EXPECT_EQ(t->ToJsonText(), nlohmann::json::parse(text).dump());
  }
  EXPECT_FALSE(Type::FromJsonText(R"("strng")").ok());
  EXPECT_FALSE(Type::FromJsonText(R"(["list"])").ok());
}

TEST(Type, EqualityIsStructural) {
  EXPECT_EQ(Type::List(Type::String()), Type::List(Type::String()));
  EXPECT_FALSE(Type::List(Type::String()) == Type::Set(Type::String()));
  EXPECT_TRUE(Type::Object({{"a", Type::Dynamic()}}).HasDynamic());
  EXPECT_FALSE(Type::Object({{"a", Type::String()}}).HasDynamic());
}

TEST(Path, RendersLikeHcl) {
  Path p = Path::Of("network").Index(1).Attr("ip");
  EXPECT_EQ(p.ToString(), "network[1].ip");
  EXPECT_EQ(Path::Of("tags").Key("env").ToString(), "tags[\"env\"]");
}

}  // namespace
}  // namespace pgha::value
