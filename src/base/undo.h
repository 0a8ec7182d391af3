// A log of undo steps for a multi-step creation: on failure they run newest
// first, and whatever an undo could not remove is named in the error, so a
// failed apply never leaves something behind silently.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "base/strings.h"

namespace pgha {

class UndoLog {
 public:
  // `what` names the thing the undo removes, for the error when it cannot.
  void Add(std::string what, std::function<absl::Status()> undo) { steps_.emplace_back(std::move(what), std::move(undo)); }

  // Runs every undo, newest first, and returns "<step> failed: <cause>", plus
  // the leftovers when an undo failed.
  absl::Status Fail(std::string_view step, const absl::Status& cause) {
    std::vector<std::string> leftovers;
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      if (absl::Status s = it->second(); !s.ok()) leftovers.push_back(pgha::StrCat(it->first, " (", s.message(), ")"));
    }
    steps_.clear();
    std::string message = pgha::StrCat(step, " failed: ", cause.message());
    if (!leftovers.empty()) {
      message += pgha::StrCat(". Rolling back left behind: ", absl::StrJoin(leftovers, "; "), ". Remove them by hand.");
    }
    return absl::Status(cause.code(), message);
  }

 private:
  std::vector<std::pair<std::string, std::function<absl::Status()>>> steps_;
};

}  // namespace pgha
