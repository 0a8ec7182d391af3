#include "log/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace pgha::log {
namespace {

std::atomic<Level> g_level{Level::kWarn};
std::mutex g_write_mu;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    case Level::kOff:
      return "off";
  }
  return "info";
}

}  // namespace

Level ParseLevel(std::string_view text) {
  std::string t = absl::AsciiStrToLower(std::string(text));
  if (t == "trace" || t == "json") return Level::kTrace;
  if (t == "debug") return Level::kDebug;
  if (t == "info") return Level::kInfo;
  if (t == "warn") return Level::kWarn;
  if (t == "error") return Level::kError;
  if (t == "off") return Level::kOff;
  // Terraform treats any other non-empty value as trace.
  return t.empty() ? Level::kWarn : Level::kTrace;
}

void InitFromEnvironment() {
  const char* provider = std::getenv("TF_LOG_PROVIDER");
  const char* general = std::getenv("TF_LOG");
  if (provider && *provider) {
    SetLevel(ParseLevel(provider));
  } else if (general && *general) {
    SetLevel(ParseLevel(general));
  }
}

void SetLevel(Level level) { g_level.store(level); }
bool Enabled(Level level) { return level >= g_level.load() && level != Level::kOff; }

std::string FormatLine(Level level, std::string_view message, const Fields& fields) {
  nlohmann::json line = {
      {"@level", LevelName(level)},
      {"@message", std::string(message)},
      {"@module", "pgha"},
      {"@timestamp", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone())},
  };
  for (const auto& [k, v] : fields) line[std::string(k)] = std::string(v);
  // Replace invalid UTF-8 rather than throw: a log line must never crash the provider.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(Level level, std::string_view message, const Fields& fields) {
  if (!Enabled(level)) return;
  std::string text = FormatLine(level, message, fields);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(g_write_mu);
  // One write per line so concurrent lines never interleave.
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + off, text.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace pgha::log
