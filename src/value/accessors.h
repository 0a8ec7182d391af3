// Small readers for object attributes, for checks on configurations that may
// hold unknowns (rendering reads through schema::Reader, which knows the
// defaults). Null or unknown reads as the fallback; a name the object does
// not have aborts, so a misspelling cannot pass a test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "value/value.h"

namespace pgha::value {

std::string GetString(const Value& obj, const std::string& name, std::string fallback = "");
int64_t GetInt(const Value& obj, const std::string& name, int64_t fallback = 0);
bool GetBool(const Value& obj, const std::string& name, bool fallback = false);
// A list or set of strings; null or unknown reads as empty.
std::vector<std::string> GetStrings(const Value& obj, const std::string& name);
// True when the attribute is known and not null.
bool IsSet(const Value& obj, const std::string& name);
// The attribute when known and not null; otherwise a null value (also for a
// missing attribute), so optional blocks read like empty ones.
const Value& Attr(const Value& obj, const std::string& name);
// A list, set or map's elements when known; empty otherwise.
const std::vector<Value>& Elements(const Value& obj, const std::string& name);
// A number exactly as written (e.g. "0.5"), or fallback.
std::string GetNumberText(const Value& obj, const std::string& name, std::string fallback = "");

}  // namespace pgha::value
