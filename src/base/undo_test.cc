#include "base/undo.h"

#include <string>

#include "gtest/gtest.h"

namespace pgha {
namespace {

TEST(UndoLogTest, RunsNewestFirstAndNamesWhatItCouldNotRemove) {
  std::string order;
  UndoLog undo;
  undo.Add("volume \"seed\"", [&] {
    order += "volume ";
    return absl::OkStatus();
  });
  undo.Add("domain \"vm\"", [&] {
    order += "domain ";
    return absl::UnavailableError("libvirtd went away");
  });
  absl::Status s = undo.Fail("starting the domain", absl::InternalError("no network"));
  EXPECT_EQ(order, "domain volume ");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  const std::string m(s.message());
  EXPECT_NE(m.find("starting the domain failed: no network"), std::string::npos) << m;
  EXPECT_NE(m.find("left behind: domain \"vm\" (libvirtd went away)"), std::string::npos) << m;
  EXPECT_EQ(m.find("volume \"seed\" ("), std::string::npos) << m;
}

TEST(UndoLogTest, CleanRollbackSaysOnlyWhatFailed) {
  UndoLog undo;
  undo.Add("x", [] { return absl::OkStatus(); });
  EXPECT_EQ(undo.Fail("defining", absl::InvalidArgumentError("bad")).message(), "defining failed: bad");
}

}  // namespace
}  // namespace pgha
