#include "study/compare.h"

#include <fmt/format.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/files.h"
#include "core/json_text.h"
#include "core/error.h"
#include "core/text.h"
#include "report/table.h"

namespace bnrun::study {

namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

ordered_json read_document(const fs::path& file) {
  const auto text = read_file_if_readable(file.string());
  if (!text) throw UserError(fmt::format("{}: cannot open", file.string()));
  ordered_json document;
  try {
    document = parse_ordered_json_text(*text, file.string());
  } catch (const UserError&) {
    document = ordered_json(ordered_json::value_t::discarded);
  }
  if (document.is_discarded() || !document.is_object() || !document.contains("runs") || !document.contains("config"))
    throw UserError(
        fmt::format("{}: not a bnrun results file (expected JSON with \"config\" and \"runs\")", file.string()));
  return document;
}

// Leaves of the config as key path → value; arrays of objects (the layers) are walked, other arrays are values.
void flatten(const ordered_json& node, const std::string& path, std::map<std::string, std::string>& leaves) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) flatten(value, path.empty() ? key : path + "." + key, leaves);
  } else if (node.is_array() && !node.empty() && node.front().is_object()) {
    for (std::size_t i = 0; i < node.size(); ++i) flatten(node[i], fmt::format("{}[{}]", path, i), leaves);
  } else {
    leaves[path] = node.is_string() ? node.get<std::string>() : node.dump();
  }
}

std::map<std::string, std::string> leaves_of(const ComparedRun& run) {
  std::map<std::string, std::string> leaves;
  flatten(run.result["config"], "", leaves);
  return leaves;
}

std::string number(const ordered_json& object, const char* key, const char* format) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return "-";
  return fmt::format(fmt::runtime(format), object[key].get<double>());
}

}  // namespace

std::vector<ComparedRun> read_compared_runs(const std::vector<std::string>& paths) {
  std::vector<ComparedRun> runs;
  for (const auto& path : paths) {
    const fs::path target(path);
    std::error_code error;
    if (fs::is_regular_file(target, error)) {
      runs.push_back({path, read_document(target)});
    } else if (fs::is_directory(target, error)) {
      if (fs::exists(target / "results.json")) {
        runs.push_back({path, read_document(target / "results.json")});
      } else if (fs::exists(target / "result.json")) {
        runs.push_back({path, read_document(target / "result.json")});
      } else {
        std::vector<fs::path> folders;
        for (const auto& entry : fs::directory_iterator(target, error))
          if (entry.is_directory() && fs::exists(entry.path() / "result.json")) folders.push_back(entry.path());
        std::sort(folders.begin(), folders.end());
        if (folders.empty())
          throw UserError(fmt::format("{}: holds no bnrun results (results.json, result.json or run folders)", path));
        for (const auto& folder : folders)
          runs.push_back({(target / folder.filename()).string(), read_document(folder / "result.json")});
      }
    } else {
      throw UserError(fmt::format("{}: no such file or folder", path));
    }
  }
  return runs;
}

std::vector<std::string> differing_keys(const std::vector<ComparedRun>& runs) {
  std::vector<std::map<std::string, std::string>> all;
  std::vector<std::string> keys;
  for (const auto& run : runs) {
    all.push_back(leaves_of(run));
    for (const auto& [key, value] : all.back())
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  std::vector<std::string> differing;
  for (const auto& key : keys) {
    const auto first = all.front().find(key);
    for (const auto& leaves : all) {
      const auto found = leaves.find(key);
      const bool same = found != leaves.end() && first != all.front().end() && found->second == first->second;
      if (!same) {
        differing.push_back(key);
        break;
      }
    }
  }
  return differing;
}

std::string comparison_across_runs(const std::vector<ComparedRun>& runs) {
  const auto keys = differing_keys(runs);
  std::vector<std::string> header = {"run"};
  header.insert(header.end(), keys.begin(), keys.end());
  for (const char* column : {"variant", "status", "test acc", "test loss", "epochs", "train time"})
    header.emplace_back(column);
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& run : runs) {
    const auto leaves = leaves_of(run);
    for (const auto& entry : run.result["runs"]) {
      std::vector<std::string> row = {run.label};
      for (const auto& key : keys) {
        const auto found = leaves.find(key);
        row.push_back(found == leaves.end() ? "-" : found->second);
      }
      const ordered_json test = entry.contains("test") ? entry["test"] : ordered_json(nullptr);
      const ordered_json timings = entry.contains("timings") ? entry["timings"] : ordered_json(nullptr);
      row.push_back(entry.value("variant", "?"));
      row.push_back(entry.value("status", "?"));
      row.push_back(number(test, "accuracy", "{:.4f}"));
      row.push_back(number(test, "loss", "{:.4f}"));
      row.push_back(entry.contains("epochs_completed") ? entry["epochs_completed"].dump() : "-");
      row.push_back(timings.is_object() && timings.contains("train_seconds") && timings["train_seconds"].is_number()
                        ? report::format_seconds(timings["train_seconds"].get<double>())
                        : "-");
      rows.push_back(row);
    }
  }
  std::vector<std::size_t> left;
  for (std::size_t c = 0; c <= keys.size() + 2; ++c) left.push_back(c);
  std::string text = keys.empty() ? "(the runs share every config setting)\n\n"
                                  : fmt::format("{} run{}; settings that differ: {}\n\n", runs.size(),
                                                runs.size() == 1 ? "" : "s", fmt::join(keys, ", "));
  return text + report::align_columns(rows, left);
}

}  // namespace bnrun::study
