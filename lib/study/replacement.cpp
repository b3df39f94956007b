#include "study/replacement.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/folder_lock.h"

namespace bnrun::study {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view staging_prefix = ".bnrun-staging.";
constexpr std::string_view replaced_prefix = ".bnrun-replaced.";

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// "<name>.tmp.<digits>": core/files.h's temporary for an atomic write.
bool is_temporary(const std::string& name) {
  const auto at = name.rfind(".tmp.");
  if (at == std::string::npos || at + 5 == name.size()) return false;
  return name.find_first_not_of("0123456789", at + 5) == std::string::npos;
}

void move(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::rename(from, to, error);
  if (error)
    throw UserError(fmt::format("{}: cannot move it to {}: {}", from.string(), to.string(), error.message()));
}

}  // namespace

StagedReplacement::StagedReplacement(const std::string& directory)
    : directory_(directory), staging_((fs::path(directory) / fmt::format("{}{}", staging_prefix, ::getpid())).string()) {
  std::error_code error;
  fs::remove_all(staging_, error);
  fs::create_directory(staging_, error);
  if (error) throw UserError(fmt::format("{}: cannot create a folder for the new results: {}", directory, error.message()));
}

StagedReplacement::~StagedReplacement() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
}

void StagedReplacement::commit() {
  const fs::path folder(directory_);
  const fs::path replaced = folder / fmt::format("{}{}", replaced_prefix, ::getpid());
  std::error_code error;
  fs::create_directory(replaced, error);
  if (error) throw UserError(fmt::format("{}: cannot set the old results aside: {}", directory_, error.message()));
  std::vector<fs::path> old_entries;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (name != lock_file_name && entry.path() != fs::path(staging_) && entry.path() != replaced)
      old_entries.push_back(entry.path());
  }
  if (error) throw UserError(fmt::format("{}: cannot list the old results: {}", directory_, error.message()));
  for (const auto& path : old_entries) move(path, replaced / path.filename());
  std::vector<fs::path> new_entries;
  for (const auto& entry : fs::directory_iterator(staging_, error)) new_entries.push_back(entry.path());
  for (const auto& path : new_entries) move(path, folder / path.filename());
  committed_ = true;
  fs::remove_all(replaced, error);
  fs::remove(staging_, error);
}

void remove_leftovers(const std::string& directory) {
  std::error_code error;
  std::vector<fs::path> leftovers;
  for (auto it = fs::recursive_directory_iterator(directory, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    const bool folder = it->is_directory(error);
    if (folder && (starts_with(name, staging_prefix) || starts_with(name, replaced_prefix))) {
      leftovers.push_back(it->path());
      it.disable_recursion_pending();
    } else if (!folder && is_temporary(name)) {
      leftovers.push_back(it->path());
    }
  }
  for (const auto& path : leftovers) fs::remove_all(path, error);
}

void check_inputs_outside(const Plan& plan, const std::string& init_from, const std::string& directory) {
  std::error_code error;
  const fs::path folder = fs::weakly_canonical(fs::absolute(directory, error), error);
  const auto inside = [&](const std::string& path) {
    if (path.empty()) return false;
    const fs::path file = fs::weakly_canonical(fs::absolute(path, error), error);
    const auto relative = file.lexically_relative(folder);
    return !relative.empty() && *relative.begin() != ".." && relative != ".";
  };
  const auto refuse = [&](const std::string& path, std::string_view what) {
    throw UserError(fmt::format(
        "{}: the {} is inside the --output folder {}, whose contents --overwrite replaces; move it out first or "
        "write to another --output",
        path, what, directory));
  };
  if (inside(init_from)) refuse(init_from, "--init-from model");
  for (const auto& run : plan.runs) {
    const auto& dataset = run.config.dataset;
    for (const std::string* path : {&dataset.path, &dataset.train_path, &dataset.test_path})
      if (inside(*path)) refuse(*path, "data file");
  }
}

}  // namespace bnrun::study
