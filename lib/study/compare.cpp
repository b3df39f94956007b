#include "study/compare.h"

#include <fmt/format.h>
#include <cmath>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/files.h"
#include "results/codec.h"
#include "core/json_text.h"
#include "core/error.h"
#include "core/text.h"
#include "report/table.h"

namespace bnrun::study {

namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

ComparedRun read_document(const std::string& label, const fs::path& file) {
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
  ComparedRun run{label, document["config"], {}};
  if (!document.contains("study")) {
    for (auto& arm : results::run_record_from_json(document, file.string()).arms) {
      std::string name = arm.arm;
      run.arms.push_back({std::move(name), std::move(arm), "", ""});
    }
    return run;
  }
  run.arms = results::summary_entries_from_json(document, file.string());
  return run;
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
  flatten(run.config, "", leaves);
  return leaves;
}

std::string fixed(double value) {
  return std::isfinite(value) ? fmt::format("{:.4f}", value) : "-";
}

}  // namespace

std::vector<ComparedRun> read_compared_runs(const std::vector<std::string>& paths) {
  std::vector<ComparedRun> runs;
  for (const auto& path : paths) {
    const fs::path target(path);
    std::error_code error;
    if (fs::is_regular_file(target, error)) {
      runs.push_back(read_document(path, target));
    } else if (fs::is_directory(target, error)) {
      if (fs::exists(target / "results.json")) {
        runs.push_back(read_document(path, target / "results.json"));
      } else if (fs::exists(target / "result.json")) {
        runs.push_back(read_document(path, target / "result.json"));
      } else {
        std::vector<fs::path> folders;
        for (const auto& entry : fs::directory_iterator(target, error))
          if (entry.is_directory() && fs::exists(entry.path() / "result.json")) folders.push_back(entry.path());
        std::sort(folders.begin(), folders.end());
        if (folders.empty())
          throw UserError(fmt::format("{}: holds no bnrun results (results.json, result.json or run folders)", path));
        for (const auto& folder : folders)
          runs.push_back(read_document((target / folder.filename()).string(), folder / "result.json"));
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
  // Regression runs show their test RMSE where classification runs show their accuracy.
  std::size_t regression_arms = 0, arms_with_results = 0;
  for (const auto& run : runs)
    for (const auto& arm : run.arms)
      if (arm.record && arm.record->result.test) {
        ++arms_with_results;
        regression_arms += arm.record->result.test_regression ? 1 : 0;
      }
  const char* headline = regression_arms == 0                   ? "test acc"
                         : regression_arms == arms_with_results ? "test RMSE"
                                                                : "test acc or RMSE";
  for (const char* column : {"variant", "status", headline, "test loss", "epochs", "train time"})
    header.emplace_back(column);
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& run : runs) {
    const auto leaves = leaves_of(run);
    for (const auto& arm : run.arms) {
      std::vector<std::string> row = {run.label};
      for (const auto& key : keys) {
        const auto found = leaves.find(key);
        row.push_back(found == leaves.end() ? "-" : found->second);
      }
      row.push_back(arm.arm);
      if (!arm.record) {
        row.push_back(arm.status == "not_run" ? "not run" : arm.status);
        for (const char* cell : {"-", "-", "-", "-"}) row.emplace_back(cell);
      } else {
        const train::RunResult& result = arm.record->result;
        row.push_back(std::string(train::status_name(result.status)));
        row.push_back(!result.test              ? "-"
                      : result.test_regression ? fixed(result.test_regression->rmse)
                                               : fixed(result.test->accuracy));
        row.push_back(result.test ? fixed(result.test->loss) : "-");
        row.push_back(std::to_string(result.history.size()));
        row.push_back(report::format_seconds(result.train_seconds));
      }
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
