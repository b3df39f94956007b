#include "core/console.h"

#include <cstdio>

namespace bnrun {

void write_stderr(std::string_view text) noexcept {
  // Unbuffered stderr: fwrite hands the bytes to write(2) at once; a failure only sets the stream's error flag.
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
  std::clearerr(stderr);
}

}  // namespace bnrun
