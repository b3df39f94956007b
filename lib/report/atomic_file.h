// Files that are either complete or absent: written to a temporary name in the same folder, flushed, then
// renamed over the target (rename is atomic within a file system), so a crash or a full disk never leaves a
// truncated results file that a script could mistake for a finished run.
#pragma once

#include <string>
#include <string_view>

namespace bnrun::report {

// Throws bnrun::UserError naming the path when the file cannot be written. A path that names a device or a pipe
// (/dev/stdout, /dev/full, a FIFO) is written directly: there is no file to replace.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace bnrun::report
