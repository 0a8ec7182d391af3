// Diagnostics: what the provider tells the user, with a severity, a short
// summary, a detail they can act on and, where it helps, the attribute path.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "value/path.h"

namespace pgha::value {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string summary;
  std::string detail;
  std::optional<Path> path;
};

class Diagnostics {
 public:
  void AddError(std::string summary, std::string detail, std::optional<Path> path = std::nullopt);
  void AddWarning(std::string summary, std::string detail, std::optional<Path> path = std::nullopt);
  void Append(const Diagnostics& other);

  bool HasError() const;
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace pgha::value
