// Messages for the person at the terminal, on stderr. Writing them must never fail a command: stderr may be
// closed (2>&-), a full device (2>/dev/full) or a pipe whose reader left, and the exit code and the files a run
// wrote must not depend on whether a message could be shown. So these write what they can and never throw.
#pragma once

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace bnrun {

// Writes `text` to stderr and flushes it; errors are ignored.
void write_stderr(std::string_view text) noexcept;

// fmt::format, then write_stderr; a formatting error (a bug) is ignored too, rather than thrown from an error path.
template <class... Args>
void print_stderr(fmt::format_string<Args...> format, Args&&... args) noexcept {
  try {
    write_stderr(fmt::format(format, std::forward<Args>(args)...));
  } catch (...) {
  }
}

}  // namespace bnrun
