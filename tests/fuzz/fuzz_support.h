// What the fuzz targets share: how a finding ends the run, the one-line rule for user errors, and a scratch
// folder of the process's own.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "core/error.h"

namespace bnrun::fuzz {

// A finding aborts, so that libFuzzer keeps the input that caused it; the fuzzer's name starts the message.
[[noreturn]] inline void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s\n%s\n", program_invocation_short_name, what, detail.c_str());
  std::abort();
}

// The command line prints a user error as "error: <message>": a message must be one line, and not empty.
inline void check_message(const UserError& error) {
  const std::string_view message = error.what();
  if (message.empty() || message.find_first_of("\n\r") != std::string_view::npos)
    finding("a user error that is not one line", std::string(message));
}

inline void write_file(const std::filesystem::path& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

// A folder of this process's own in the temp directory (libFuzzer's -jobs run several at once), removed with it.
struct ScratchFolder {
  std::filesystem::path path;
  explicit ScratchFolder(std::string_view fuzzer)
      : path(std::filesystem::temp_directory_path() /
             ("bnrun_" + std::string(fuzzer) + "_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
};

}  // namespace bnrun::fuzz
