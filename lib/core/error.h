// Errors that reach the user.
//
// UserError is for anything the user can fix: a bad config, a missing or malformed data file, a bad command
// line. Its message is one line that names the file and line/column or the config key path; the command line
// prints it and exits with code 2. Anything else that escapes is an internal error (exit code 1).
//
// Messages quote user text (keys, values, cells), which may hold any bytes: the constructor makes the message
// printable (core/printable.h), so it is one line and valid UTF-8 wherever it was built.
#pragma once

#include <stdexcept>
#include <string>

#include "core/printable.h"

namespace bnrun {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(printable_text(message)) {}
};

}  // namespace bnrun
