// hclog-style JSON lines on stderr, which go-plugin hosts parse and file
// under the provider's log level. The level comes from TF_LOG_PROVIDER, else
// TF_LOG. Callers log what happened and to which resource type, never
// attribute values: those may be secrets.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace pgha::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

// Reads TF_LOG_PROVIDER / TF_LOG once. Unset means warnings and errors only.
void InitFromEnvironment();
void SetLevel(Level level);
Level ParseLevel(std::string_view text);
bool Enabled(Level level);

using Fields = std::vector<std::pair<std::string_view, std::string_view>>;
void Write(Level level, std::string_view message, const Fields& fields = {});

inline void Trace(std::string_view m, const Fields& f = {}) { Write(Level::kTrace, m, f); }
inline void Debug(std::string_view m, const Fields& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const Fields& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const Fields& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const Fields& f = {}) { Write(Level::kError, m, f); }

// Renders one line (without the newline), exposed for tests.
std::string FormatLine(Level level, std::string_view message, const Fields& fields);

}  // namespace pgha::log
