// libFuzzer target for results files, as `bnrun compare` (study::read_compared_runs) and --resume
// (study::check_resumable, which reads every finished run's record as the runner then reuses it) read them.
//
// Input: the text of a results document. It is written to a temporary folder as a single run's results.json
// (single/results.json) and as the result.json of a study's run folder (study/001_seed=1/result.json), then read
// by `bnrun compare` of the first folder beside a valid reference results file (so the table has settings that
// differ) and of the second, and by --resume's check of a --seeds 1 plan of a small config whose output folder the
// second is. A document that reads becomes the comparison table's text, and its record is written again with
// results::to_json and read back: the whole record for a results file, the summary's run entries (each arm's
// to_json, or variant/status/error for a run without a record, as summary.json writes them) for a document with a
// "study" key, which compare reads as a summary.json.
//
// Besides crashes and sanitizer reports, these abort (they are findings):
//   - an exception other than bnrun::UserError;
//   - a message that is not one line (the command line prints it as "error: <message>");
//   - a record that reads but does not survive writing: what to_json writes of it must read back, and written
//     again give the same text (the reader may normalize, e.g. NaN to null, but only once) — --resume writes
//     the records it reads into summary.json, and compare reads that.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/error.h"
#include "core/json_text.h"
#include "data/dataset_cache.h"
#include "fuzz_support.h"
#include "results/codec.h"
#include "results/record.h"
#include "study/compare.h"
#include "study/plan.h"
#include "study/runner.h"

namespace {

using bnrun::fuzz::check_message;
using bnrun::fuzz::finding;
using bnrun::fuzz::write_file;

using nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr std::string_view kConfig = R"({
  "dataset": {"path": "data.csv", "target": "species", "test_fraction": 0.25},
  "model": {"layers": [{"type": "dense", "units": 4, "activation": "relu"}, {"type": "batchnorm"},
                       {"type": "dense", "units": 2, "activation": "softmax"}]},
  "training": {"epochs": 2, "batch_size": 4}
}
)";
constexpr std::string_view kData = "a,b,species\n1,2,x\n2,3,y\n3,4,x\n4,5,y\n5,6,x\n6,7,y\n7,8,x\n8,9,y\n";

// A valid results document of one arm, to compare the input with.
std::string reference_results(const bnrun::config::Config& config) {
  bnrun::results::RunRecord record;
  record.bnrun_version = "0.1.0";
  record.config = bnrun::config::to_json(config);
  record.config["training"]["batch_size"] = 8;  // a setting that differs from most inputs'
  record.environment = {1, "clang", "none", "fuzz", "scalar"};
  record.data = {{"a", "b"}, {"x", "y"}, 6, 0, 2, {}, std::nullopt};
  bnrun::results::ArmRecord arm;
  arm.arm = "bn";
  arm.seed = 1;
  arm.result.test = bnrun::train::Evaluation{0.5, 0.75};
  arm.result.history.push_back({1, 0.7, 0.5, std::nullopt, 0.01, 0.01});
  arm.result.trainable_parameters = 30;
  record.arms.push_back(arm);
  return bnrun::results::to_json(record).dump(2) + "\n";
}

// This process's own folder in the temp directory, removed at exit: the config and its data, the reference
// results (of the config's single run), a single run's output folder and a --seeds 1 study's, with its plan.
struct Workspace {
  bnrun::fuzz::ScratchFolder scratch{"results_fuzzer"};
  const fs::path& path = scratch.path;
  fs::path single = path / "single";
  fs::path study = path / "study";
  fs::path reference = path / "reference.json";
  bnrun::study::Plan study_plan;
  fs::path study_result;

  Workspace() {
    write_file(path / "config.json", kConfig);
    write_file(path / "data.csv", kData);
    bnrun::study::PlanRequest request;
    request.config_path = (path / "config.json").string();
    const bnrun::study::Plan single_plan = bnrun::study::make_plan(request);
    request.seeds = "1";
    study_plan = bnrun::study::make_plan(request);
    study_result = study / study_plan.runs.front().folder / "result.json";
    fs::create_directories(single);
    fs::create_directories(study_result.parent_path());
    write_file(reference, reference_results(single_plan.runs.front().config));
  }
};

const Workspace& workspace() {
  static const Workspace folder;
  return folder;
}

// `bnrun compare` of `paths`: the runs and the table.
void compare(const std::vector<std::string>& paths) {
  try {
    const auto runs = bnrun::study::read_compared_runs(paths);
    if (runs.empty()) finding("compare read no runs and said nothing", paths.front());
    const std::string table = bnrun::study::comparison_across_runs(runs);
    if (table.empty()) finding("an empty comparison table", paths.front());
  } catch (const bnrun::UserError& error) {
    check_message(error);
  }
}

void resume(const bnrun::study::Plan& plan, const fs::path& output) {
  try {
    bnrun::data::DatasetCache data;
    bnrun::study::check_resumable(plan, output.string(), data);
  } catch (const bnrun::UserError& error) {
    check_message(error);
  }
}

// The run entries of a summary.json as summary_json writes them (without the run's identity keys, which the
// reader does not read).
ordered_json summary_document(const std::vector<bnrun::results::SummaryEntry>& entries) {
  ordered_json runs = ordered_json::array();
  for (const auto& entry : entries) {
    if (entry.record)
      runs.push_back(bnrun::results::to_json(*entry.record));
    else
      runs.push_back({{"variant", entry.arm}, {"status", entry.status}, {"error", entry.error}, {"test", nullptr}});
  }
  return {{"runs", std::move(runs)}};
}

std::string dump(const ordered_json& document, const char* what) {
  try {
    return document.dump(2);
  } catch (const nlohmann::json::exception& error) {
    finding(what, error.what());
  }
}

// Writes what was read and reads it back, twice over: the second writing must be the first's text.
void check_round_trip(const ordered_json& document) {
  const std::string source = "fuzz.json";
  std::string first;
  if (document.contains("study")) {
    std::vector<bnrun::results::SummaryEntry> entries;
    try {
      entries = bnrun::results::summary_entries_from_json(document, source);
    } catch (const bnrun::UserError&) {
      return;  // compare said so (and checked the message)
    }
    first = dump(summary_document(entries), "summary entries that read cannot be written as JSON");
    std::vector<bnrun::results::SummaryEntry> again;
    try {
      again = bnrun::results::summary_entries_from_json(ordered_json::parse(first), source);
    } catch (const bnrun::UserError& error) {
      finding("summary entries that read are rejected when written and read back", first + "\n---\n" + error.what());
    }
    const std::string second = dump(summary_document(again), "summary entries read back cannot be written");
    if (second != first) finding("summary entries do not survive writing and reading", first + "\n---\n" + second);
    return;
  }
  bnrun::results::RunRecord record;
  try {
    record = bnrun::results::run_record_from_json(document, source);
  } catch (const bnrun::UserError&) {
    return;
  }
  first = dump(bnrun::results::to_json(record), "a record that reads cannot be written as JSON");
  bnrun::results::RunRecord again;
  try {
    again = bnrun::results::run_record_from_json(ordered_json::parse(first), source);
  } catch (const bnrun::UserError& error) {
    finding("a record that reads is rejected when written and read back", first + "\n---\n" + error.what());
  }
  const std::string second = dump(bnrun::results::to_json(again), "a record read back cannot be written");
  if (second != first) finding("a record does not survive writing and reading", first + "\n---\n" + second);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Workspace& work = workspace();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  write_file(work.single / "results.json", text);
  write_file(work.study_result, text);

  // Each reader once (JSON parsing is most of the time): compare of a run's folder, beside the reference; of a
  // study's folder, which finds the run folders; --resume's check of the study, which reads the run folder's file
  // (a single run's results.json is read by the same function).
  compare({work.reference.string(), work.single.string()});
  compare({work.study.string()});
  resume(work.study_plan, work.study);

  // The documents compare reads: JSON objects with "config" and "runs" (compare.cpp's read_document).
  ordered_json document;
  try {
    document = bnrun::parse_ordered_json_text(text, "fuzz.json");
  } catch (const bnrun::UserError&) {
    return 0;
  }
  if (document.is_object() && document.contains("runs") && document.contains("config")) check_round_trip(document);
  return 0;
}
