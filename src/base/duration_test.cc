#include "base/duration.h"

#include "gtest/gtest.h"

namespace pgha {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, ReadsGoDurations) {
  EXPECT_EQ(ParseDuration("30s"), milliseconds(30000));
  EXPECT_EQ(ParseDuration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(ParseDuration("1.5h"), milliseconds(5400000));
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("2h45m10s"), milliseconds((2 * 3600 + 45 * 60 + 10) * 1000));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
}

TEST(ParseDuration, RefusesWhatGoRefusesAndSigns) {
  for (const char* bad : {"", "30", "m", "1x", "-5m", "+5m", "1h 30m", ".s", "5d", "99999999999h"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace pgha
