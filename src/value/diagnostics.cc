#include "value/diagnostics.h"

namespace pgha::value {

void Diagnostics::AddError(std::string summary, std::string detail, std::optional<Path> path) {
  items_.push_back({Diagnostic::Severity::kError, std::move(summary), std::move(detail), std::move(path)});
}

void Diagnostics::AddWarning(std::string summary, std::string detail, std::optional<Path> path) {
  items_.push_back({Diagnostic::Severity::kWarning, std::move(summary), std::move(detail), std::move(path)});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::HasError() const {
  for (const auto& d : items_) {
    if (d.severity == Diagnostic::Severity::kError) return true;
  }
  return false;
}

}  // namespace pgha::value
