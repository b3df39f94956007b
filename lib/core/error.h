// Errors that reach the user.
//
// UserError is for anything the user can fix: a bad config, a missing or malformed data file, a bad command
// line. Its message is one line that names the file and line/column or the config key path; the command line
// prints it and exits with code 2. Anything else that escapes is an internal error (exit code 1).
#pragma once

#include <stdexcept>
#include <string>

namespace bnrun {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace bnrun
