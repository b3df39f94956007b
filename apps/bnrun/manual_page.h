// bnrun's man page, bnrun.1 (roff with the man(7) macros), written from the CLI11 declaration itself: the build
// runs `bnrun --help-man` (packaging/CMakeLists.txt), so every option and subcommand --help shows is in the page,
// with the same words, and the page cannot fall behind the program.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace bnrun::app {

std::string manual_page(const CLI::App& app, std::string_view version);

}  // namespace bnrun::app
