// pgha-cpu-meter LOG PROGRAM [ARGS...]: runs PROGRAM as a child and, when it
// exits, appends "USER_US SYS_US WALL_US" (its own CPU time and run time, in
// microseconds) to LOG. scripts/bench puts it in front of each provider so
// that Terraform's CPU and the provider's can be told apart.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <initializer_list>

namespace {

long long NowUs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: pgha-cpu-meter LOG PROGRAM [ARGS...]\n");
    return 2;
  }
  const long long start = NowUs();
  const pid_t pid = fork();
  if (pid == 0) {
    execv(argv[2], argv + 2);
    _exit(127);
  }
  if (pid < 0) return 127;
  // The host stops the provider through the provider; a signal for us goes to it.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_IGN);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
  }
  const long long wall = NowUs() - start;
  if (FILE* log = std::fopen(argv[1], "a")) {
    std::fprintf(log, "%lld %lld %lld\n", usage.ru_utime.tv_sec * 1000000LL + usage.ru_utime.tv_usec,
                 usage.ru_stime.tv_sec * 1000000LL + usage.ru_stime.tv_usec, wall);
    std::fclose(log);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
