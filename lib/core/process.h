// Running another program (sbatch, scontrol) and reading what it says: no shell in between, so no argument is
// ever re-parsed; stdout and stderr captured separately.
#pragma once

#include <string>
#include <vector>

namespace bnrun {

struct ProcessResult {
  int exit_code = 0;  // the program's exit status, or 128 + the signal that ended it
  std::string out;    // what it wrote to stdout
  std::string err;    // ... and to stderr
};

// Runs argv[0] (looked up on PATH) with the rest as its arguments and waits for it. Throws UserError when it
// cannot be started at all ("sbatch: not found on PATH").
ProcessResult run_process(const std::vector<std::string>& argv);

// The absolute path of the running program (/proc/self/exe), for scripts that must run the same binary.
std::string this_program_path();

// `text` as one shell word: bare when it holds only safe characters, otherwise in single quotes.
std::string shell_quoted(const std::string& text);

}  // namespace bnrun
