// Named places where the test build can kill the provider, so the tests can
// prove that the next `terraform apply` converges after a crash at each of
// them. Compiled in only with PGHA_CRASH_POINTS (the ASan test build); in the
// release build a crash point is nothing at all.
#pragma once

#ifdef PGHA_CRASH_POINTS
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace pgha {

// SIGKILL, not abort: nothing runs after it, exactly as when an operator or
// the OOM killer ends the process.
inline void CrashPoint(const char* name) {
  const char* at = std::getenv("PGHA_CRASH_AT");
  if (at != nullptr && std::strcmp(at, name) == 0) kill(getpid(), SIGKILL);
}

}  // namespace pgha
#define PGHA_CRASH_POINT(name) ::pgha::CrashPoint(name)
#else
#define PGHA_CRASH_POINT(name) ((void)0)
#endif
