#include "shipped_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "core/error.h"
#include "core/process.h"

namespace bnrun::app {

namespace fs = std::filesystem;

ShippedFiles shipped_files() {
  const fs::path program_folder = fs::path(this_program_path()).parent_path();
  // BNRUN_BUILD_DIR and BNRUN_SOURCE_DIR are where this binary was built and from what (CMakeLists.txt).
  std::error_code error;
  if (fs::equivalent(program_folder, BNRUN_BUILD_DIR, error))
    return {fs::path(BNRUN_SOURCE_DIR) / "configs", fs::path(BNRUN_SOURCE_DIR)};
  const fs::path prefix = program_folder.parent_path();
  return {prefix / "share" / "bnrun" / "configs", prefix / "share" / "doc" / "bnrun"};
}

std::vector<std::string> shipped_config_names(const fs::path& configs) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator entry(configs, error), end; !error && entry != end; entry.increment(error))
    if (entry->path().extension() == ".json" && entry->is_regular_file(error))
      names.push_back(entry->path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string resolve_config_path(const std::string& given, const fs::path& configs, const std::string& subfolder) {
  std::error_code error;
  // A path the user wrote is theirs to get right: the reader's error names it ("cannot open file").
  if (given.empty() || given.find('/') != std::string::npos || fs::exists(given, error)) return given;
  const fs::path folder = subfolder.empty() ? configs : configs / subfolder;
  for (const fs::path& candidate : {folder / given, folder / (given + ".json")})
    if (fs::is_regular_file(candidate, error)) return candidate.string();
  const auto names = shipped_config_names(folder);
  throw UserError(fmt::format(
      "{}: no such file in the current folder ({}) nor among the shipped configs in {} ({})", given,
      fs::current_path(error).string(), folder.string(),
      names.empty() ? std::string("that folder has none") : fmt::format("there: {}", fmt::join(names, ", "))));
}

}  // namespace bnrun::app
