#include "cloudinit/line_template.h"

#include "gtest/gtest.h"

namespace pgha::cloudinit {
namespace {

TEST(LineTemplate, FillsScalarsAndRepeatsListLines) {
  auto out = RenderLineTemplate("global\n    timeout {{ t }}s x{{t}}\n    server {{ servers }}\nend",
                                {{"t", std::string("5")}, {"servers", std::vector<std::string>{"a 1", "b 2"}}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "global\n    timeout 5s x5\n    server a 1\n    server b 2\nend\n");
}

TEST(LineTemplate, EmptyListDropsTheLine) {
  auto out = RenderLineTemplate("a\npool {{ pools }}\nb\n", {{"pools", std::vector<std::string>{}}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "a\nb\n");
}

TEST(LineTemplate, ValuesCannotAddLines) {
  EXPECT_FALSE(RenderLineTemplate("x {{ v }}\n", {{"v", std::string("1\nuser root")}}).ok());
  EXPECT_FALSE(RenderLineTemplate("x {{ v }}\n", {{"v", std::vector<std::string>{"ok", "bad\r"}}}).ok());
  EXPECT_FALSE(RenderLineTemplate("x {{ v }}\n", {{"v", std::string("tab\there")}}).ok());
}

TEST(LineTemplate, PlaceholdersAndValuesMustMatch) {
  EXPECT_FALSE(RenderLineTemplate("x {{ v }}\n", {}).ok());
  EXPECT_FALSE(RenderLineTemplate("x\n", {{"v", std::string("1")}}).ok());
  EXPECT_FALSE(RenderLineTemplate("{{ a }} {{ b }}\n",
                                  {{"a", std::vector<std::string>{"1"}}, {"b", std::string("2")}}).ok());
}

}  // namespace
}  // namespace pgha::cloudinit
