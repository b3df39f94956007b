// Where the files bnrun ships beside itself are (its configs, data sets and docs), found from where the running
// program is, so that one binary works the same in its build folder, after `cmake --install --prefix P`, from the
// Debian package and from a package unpacked anywhere (dpkg -x):
//   installed:         P/bin/bnrun  ->  P/share/bnrun/configs/, P/share/bnrun/datasets/, P/share/doc/bnrun/
//   its build folder:  the source tree's configs/ and README.md + docs/ (only while the binary is still where it
//                      was built: a copy elsewhere never reads a source tree)
// The installed configs keep the source tree's layout beside the data ("../datasets/iris.csv"), so an installed
// config finds the installed data.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bnrun::app {

struct ShippedFiles {
  std::filesystem::path configs;  // the shipped configs (configs/claims/ inside)
  std::filesystem::path docs;     // README.md, and docs/ with every other document
};

// For the running program. Paths that do not exist are returned as they are: a moved binary names them in errors.
ShippedFiles shipped_files();

// What to read for `--config GIVEN` (and for each config of `bnrun claims`): GIVEN itself when it exists or holds
// a '/'; otherwise the shipped config of that name in `configs` (or configs/`subfolder`), with or without
// ".json". Throws UserError naming both places tried when neither has it.
std::string resolve_config_path(const std::string& given, const std::filesystem::path& configs,
                                const std::string& subfolder = "");

// The names of the shipped configs in `configs` (without ".json", sorted): for errors and shell completion.
std::vector<std::string> shipped_config_names(const std::filesystem::path& configs);

}  // namespace bnrun::app
