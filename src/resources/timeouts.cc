#include "resources/timeouts.h"

#include "base/duration.h"

namespace pgha::resources {

std::chrono::seconds TimeoutOf(const schema::Reader& config, const char* operation) {
  // Validation refuses what does not parse; 30 minutes only guards a value that slipped past it.
  const auto d = pgha::ParseDuration(config.Object("timeouts").String(operation));
  return std::chrono::duration_cast<std::chrono::seconds>(d.value_or(std::chrono::minutes(30)));
}

}  // namespace pgha::resources
