#include "cloudinit/placeholder.h"

#include "gtest/gtest.h"

namespace pgha::cloudinit {
namespace {

TEST(Placeholder, FindsTheLeftmostWithOrWithoutSpaces) {
  auto p = FindPlaceholder("a {{x}} b {{ y_2 }}");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "x");
  EXPECT_EQ(p->begin, 2u);
  EXPECT_EQ(p->end, 7u);
  auto q = FindPlaceholder("a {{x}} b {{ y_2 }}", p->end);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->name, "y_2");
  EXPECT_FALSE(FindPlaceholder("a {{x}} b {{ y_2 }}", q->end).has_value());
}

TEST(Placeholder, WhatIsNotAPlaceholder) {
  for (const char* text : {"{{}}", "{{ }}", "{{X}}", "{{a-b}}", "{{a", "{a}}", "{{ a b }}", "", "}}{{"}) {
    EXPECT_FALSE(FindPlaceholder(text).has_value()) << text;
  }
  // A stray {{ before a real one: the real one is found.
  auto p = FindPlaceholder("{{ {{name}}");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "name");
  EXPECT_EQ(p->begin, 3u);
}

TEST(Placeholder, WholeMeansNothingElse) {
  EXPECT_EQ(WholePlaceholder("{{ name }}"), "name");
  EXPECT_EQ(WholePlaceholder("{{name}}"), "name");
  EXPECT_FALSE(WholePlaceholder(" {{name}}").has_value());
  EXPECT_FALSE(WholePlaceholder("{{name}} ").has_value());
  EXPECT_FALSE(WholePlaceholder("{{a}}{{b}}").has_value());
  EXPECT_FALSE(WholePlaceholder("x").has_value());
}

}  // namespace
}  // namespace pgha::cloudinit
