#pragma once
// Runs a command line through /bin/sh as a user would, for the tests of the built CLI: its exit
// code and its standard output (a caller that wants stderr too adds "2>&1" to the command).
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace shell {

struct Outcome {
  int code;  // the exit code, or -1 when the command did not exit (a signal)
  std::string out;
};

inline Outcome run(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return {-1, "popen failed: " + command};
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The built CLI (DESCENT_CLI) with `args` and its stderr merged into the output.
inline Outcome descent(const std::string& args) { return run(std::string(DESCENT_CLI) + " " + args + " 2>&1"); }

}  // namespace shell
