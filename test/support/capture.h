// Test helper: runs a shell command and returns its standard output, for
// tests that ask an independent tool (blkid, isoinfo, cloud-init) to read
// what pgha produced.
#pragma once

#include <cstdio>
#include <string>

namespace pgha::testing {

inline std::string Capture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

}  // namespace pgha::testing
