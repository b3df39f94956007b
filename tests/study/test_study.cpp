// Running a plan (jobs, failures, folders, resume) and what its results add up to (groups, paired differences,
// summary files, comparison across runs).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "data/dataset_cache.h"
#include "results/metrics.h"
#include "study/aggregate.h"
#include "study/claims.h"
#include "study/compare.h"
#include "study/outputs.h"
#include "study/plan.h"
#include "study/replacement.h"
#include "study/runner.h"
#include "study/shards.h"
#include "tests/study/study_fixtures.h"

using bnrun::study::make_plan;
using bnrun::study::PlanRequest;
using bnrun::study::RunOutcome;
using bnrun::study::RunState;
using bnrun::study::testing::TemporaryStudy;
using Catch::Matchers::Contains;
using nlohmann::ordered_json;

using bnrun::results::Metric;

namespace {

bnrun::study::Plan plan_for(const TemporaryStudy& study, const std::string& seeds,
                            const std::vector<std::string>& sweeps = {}) {
  PlanRequest request;
  request.config_path = study.config_path();
  request.seeds = seeds;
  request.sweeps = sweeps;
  return make_plan(request);
}

double test_accuracy(const RunOutcome& outcome, std::size_t variant) {
  return outcome.record.arms[variant].result.test->accuracy;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A finished run's outcome with the given test accuracies for bn and no_bn.
RunOutcome synthetic_outcome(double bn_accuracy, double no_bn_accuracy) {
  RunOutcome outcome;
  outcome.state = RunState::finished;
  outcome.record.config = ordered_json::object();
  for (const auto& [variant, accuracy] : {std::pair{"bn", bn_accuracy}, std::pair{"no_bn", no_bn_accuracy}}) {
    bnrun::results::ArmRecord arm;
    arm.arm = variant;
    arm.result.status = bnrun::train::RunStatus::ok;
    arm.result.test = bnrun::train::Evaluation{1.0 - accuracy, accuracy};
    bnrun::train::EpochRecord epoch;
    epoch.epoch = 1;
    epoch.train_loss = accuracy;
    epoch.train_accuracy = accuracy;
    arm.result.history.push_back(epoch);
    outcome.record.arms.push_back(std::move(arm));
  }
  return outcome;
}

}  // namespace

TEST_CASE("two runs at a time give exactly the results of one at a time", "[study][levels]") {
  const TemporaryStudy study("runner_jobs");
  const auto plan = plan_for(study, "3");
  bnrun::study::RunnerOptions one_job;
  bnrun::study::RunnerOptions two_jobs;
  two_jobs.jobs = 2;
  const auto serial = bnrun::study::run_plan(plan, one_job);
  const auto parallel = bnrun::study::run_plan(plan, two_jobs);
  REQUIRE(serial.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    REQUIRE(serial[i].state == RunState::finished);
    REQUIRE(parallel[i].state == RunState::finished);
    const auto& serial_history = serial[i].record.arms[0].result.history;
    const auto& parallel_history = parallel[i].record.arms[0].result.history;
    REQUIRE(serial_history.size() == parallel_history.size());
    for (std::size_t e = 0; e < serial_history.size(); ++e)
      CHECK(serial_history[e].train_loss == parallel_history[e].train_loss);
    CHECK(test_accuracy(serial[i], 0) == test_accuracy(parallel[i], 0));
    CHECK(test_accuracy(serial[i], 1) == test_accuracy(parallel[i], 1));
    CHECK(serial[i].record.arms[0].result.test->loss == parallel[i].record.arms[0].result.test->loss);
  }
  // Different seeds really are different runs.
  CHECK(serial[0].record.arms[0].result.test->loss != serial[1].record.arms[0].result.test->loss);
}

TEST_CASE("a study reads its data once for all its runs, two at a time too", "[study]") {
  const TemporaryStudy study("runner_reads_once");
  const auto plan = plan_for(study, "4", {"training.batch_size=8,16"});
  bnrun::data::DatasetCache data;
  bnrun::study::RunnerOptions options;
  options.jobs = 2;
  options.data = &data;
  const auto outcomes = bnrun::study::run_plan(plan, options);
  for (const auto& outcome : outcomes) CHECK(outcome.state == RunState::finished);
  CHECK(data.datasets_read() == 1);
  // Every run records the file it read, as it was read.
  for (const auto& outcome : outcomes) CHECK(outcome.record.data.files == outcomes.front().record.data.files);
}

TEST_CASE("a data file changed during a study fails the runs that start after the change", "[study]") {
  const TemporaryStudy study("runner_data_changed");
  const auto copy = study.folder() / "iris.csv";
  std::filesystem::copy_file(std::string(BNRUN_SOURCE_DIR) + "/datasets/iris.csv", copy);
  PlanRequest request;
  request.config_path = study.config_path();
  request.seeds = "3";
  request.overrides = {"dataset.path=" + copy.string()};
  const auto plan = make_plan(request);
  bnrun::study::RunnerObserver observer;
  observer.on_run_end = [&](const bnrun::study::PlannedRun& run, const RunOutcome&) {
    if (run.index == 1) std::ofstream(copy, std::ios::app) << "5.0,3.0,1.5,0.2,setosa\n";
  };
  const auto outcomes = bnrun::study::run_plan(plan, {}, observer);
  CHECK(outcomes[0].state == RunState::finished);
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK(outcomes[i].state == RunState::failed);
    CHECK_THAT(outcomes[i].error, Contains(copy.string() + ": changed while bnrun was using it"));
  }
}

TEST_CASE("a run that fails does not stop the others", "[study]") {
  const TemporaryStudy study("runner_failure");
  // With sepal_length as the target, species becomes a feature column of text: that run fails reading its data.
  const auto plan = plan_for(study, "", {"dataset.target=species,sepal_length"});
  bnrun::study::RunnerOptions options;
  options.jobs = 2;
  const auto outcomes = bnrun::study::run_plan(plan, options);
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[0].state == RunState::finished);
  CHECK(outcomes[1].state == RunState::failed);
  CHECK_THAT(outcomes[1].error, Contains("is not a number"));
}

TEST_CASE("each run's folder holds its resolved config, history and result, and --resume skips finished runs",
          "[study]") {
  const TemporaryStudy study("runner_folders");
  const auto plan = plan_for(study, "2");
  const auto output = (study.folder() / "out").string();
  bnrun::study::prepare_output_folder(output, false, false);
  bnrun::study::RunnerOptions options;
  options.output_directory = output;
  const auto first = bnrun::study::run_plan(plan, options);
  for (const auto& run : plan.runs) {
    const auto folder = study.folder() / "out" / run.folder;
    CHECK(std::filesystem::exists(folder / "config.json"));
    CHECK(std::filesystem::exists(folder / "result.json"));
    const std::string history = read_text(folder / "history.csv");
    CHECK(history.rfind("variant,epoch,train_loss", 0) == 0);
    CHECK_THAT(history, Contains("\nno_bn,3,"));
  }
  // Lose the second run, resume: only it trains again, and it comes out the same.
  std::filesystem::remove_all(study.folder() / "out" / plan.runs[1].folder);
  options.resume = true;
  std::vector<std::size_t> started;
  bnrun::study::RunnerObserver observer;
  observer.on_run_start = [&](const bnrun::study::PlannedRun& run) { started.push_back(run.index); };
  bnrun::data::DatasetCache data;
  bnrun::study::check_resumable(plan, output, data);
  const auto resumed = bnrun::study::run_plan(plan, options, observer);
  CHECK(started == std::vector<std::size_t>{2});
  CHECK(resumed[0].state == RunState::resumed);
  CHECK(resumed[1].state == RunState::finished);
  CHECK(test_accuracy(resumed[0], 0) == test_accuracy(first[0], 0));
  CHECK(resumed[1].record.arms[1].result.test->loss == first[1].record.arms[1].result.test->loss);
}

TEST_CASE("a single run's folder holds results.json and one history per arm, and no temporary files", "[study]") {
  const TemporaryStudy study("runner_single_folder");
  const auto plan = plan_for(study, "");
  const auto output = (study.folder() / "out").string();
  bnrun::study::prepare_output_folder(output, false, false);
  bnrun::study::RunnerOptions options;
  options.output_directory = output;
  const auto outcomes = bnrun::study::run_plan(plan, options);
  REQUIRE(outcomes.front().state == RunState::finished);
  CHECK(outcomes.front().unwritten.empty());
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(output)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{".bnrun", "config.json", "history_bn.csv", "history_no_bn.csv", "results.json"});
  CHECK_NOTHROW(nlohmann::json::parse(read_text(std::filesystem::path(output) / "results.json")));
}

TEST_CASE("a file that cannot be written costs only itself: the run still counts as trained", "[study]") {
  const TemporaryStudy study("runner_unwritable");
  const auto plan = plan_for(study, "2");
  const auto output = study.folder() / "out";
  bnrun::study::prepare_output_folder(output.string(), false, false);
  // A folder where run 1's history.csv should go: renaming the finished file over it fails.
  std::filesystem::create_directories(output / plan.runs[0].folder / "history.csv" / "blocker");
  bnrun::study::RunnerOptions options;
  options.output_directory = output.string();
  options.save_models = true;
  const auto outcomes = bnrun::study::run_plan(plan, options);
  REQUIRE(outcomes[0].state == RunState::finished);
  REQUIRE(outcomes[0].unwritten.size() == 1);
  CHECK_THAT(outcomes[0].unwritten.front(), Contains("history.csv: cannot write"));
  CHECK(outcomes[1].unwritten.empty());
  const auto folder = output / plan.runs[0].folder;
  for (const char* name : {"config.json", "model_bn.json", "model_no_bn.json", "test.csv", "result.json"})
    CHECK(std::filesystem::is_regular_file(folder / name));
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    CHECK_FALSE(bnrun::is_atomic_write_temporary(entry.path().filename().string()));
}

TEST_CASE("resuming into a folder of a different config is refused", "[study]") {
  const TemporaryStudy study("runner_resume_mismatch");
  const auto output = (study.folder() / "out").string();
  bnrun::study::prepare_output_folder(output, false, false);
  bnrun::study::RunnerOptions options;
  options.output_directory = output;
  bnrun::study::run_plan(plan_for(study, "1"), options);
  PlanRequest changed;
  changed.config_path = study.config_path();
  changed.seeds = "1";
  changed.overrides = {"training.epochs=4"};
  bnrun::data::DatasetCache data;
  CHECK_THROWS_WITH(bnrun::study::check_resumable(make_plan(changed), output, data),
                    Contains("holds a run of a different config"));
}

TEST_CASE("an output folder with results is kept unless --overwrite, which may replace only bnrun's folders", "[study]") {
  const TemporaryStudy study("outputs_overwrite");
  const auto output = study.folder() / "out";
  CHECK_FALSE(bnrun::study::prepare_output_folder(output.string(), false, false));
  std::ofstream(output / "result.json") << "{}";
  CHECK_THROWS_WITH(bnrun::study::prepare_output_folder(output.string(), false, false),
                    Contains("add --overwrite to replace them or --resume"));
  // Preparing deletes nothing: the caller replaces the results once new ones are ready.
  CHECK(bnrun::study::prepare_output_folder(output.string(), true, false));
  CHECK(std::filesystem::exists(output / "result.json"));
  const auto foreign = study.folder() / "foreign";
  std::filesystem::create_directories(foreign);
  std::ofstream(foreign / "thesis.tex") << "precious";
  CHECK_THROWS_WITH(bnrun::study::prepare_output_folder(foreign.string(), true, false),
                    Contains("holds files bnrun did not write"));
  CHECK(std::filesystem::exists(foreign / "thesis.tex"));
}

TEST_CASE("a staged replacement swaps the results in on commit and keeps the old ones otherwise", "[study]") {
  const TemporaryStudy study("staged_replacement");
  const auto output = study.folder() / "out";
  std::filesystem::create_directories(output);
  std::ofstream(output / "old.json") << "old";
  {
    const bnrun::study::StagedReplacement abandoned(output.string());
    std::ofstream(std::filesystem::path(abandoned.staging()) / "new.json") << "new";
  }
  CHECK(std::filesystem::exists(output / "old.json"));
  CHECK_FALSE(std::filesystem::exists(output / "new.json"));
  CHECK(std::distance(std::filesystem::directory_iterator(output), std::filesystem::directory_iterator()) == 1);
  {
    bnrun::study::StagedReplacement replacement(output.string());
    std::ofstream(std::filesystem::path(replacement.staging()) / "new.json") << "new";
    replacement.commit();
  }
  CHECK(std::filesystem::exists(output / "new.json"));
  CHECK_FALSE(std::filesystem::exists(output / "old.json"));
  CHECK(std::distance(std::filesystem::directory_iterator(output), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("a swap cut short by a crash is undone before its journal entry and finished after it", "[study]") {
  const TemporaryStudy study("interrupted_swap");
  namespace fs = std::filesystem;
  const auto names_in = [](const fs::path& folder) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) names.insert(entry.path().filename().string());
    return names;
  };
  const auto touch = [](const fs::path& path) { std::ofstream(path) << path.filename().string(); };
  // Killed while the old entries were being moved aside: they come back, the new ones go.
  const auto undone = study.folder() / "undone";
  fs::create_directories(undone / ".bnrun-replaced.7");
  fs::create_directories(undone / ".bnrun-staging.7");
  touch(undone / "old_b.json");
  touch(undone / ".bnrun-replaced.7" / ".bnrun");
  touch(undone / ".bnrun-replaced.7" / "old_a.json");
  touch(undone / ".bnrun-staging.7" / ".bnrun");
  touch(undone / ".bnrun-staging.7" / "new.json");
  bnrun::study::remove_leftovers(undone.string());
  CHECK(names_in(undone) == std::set<std::string>{".bnrun", "old_a.json", "old_b.json"});
  // Killed while the new entries were being moved in: the rest follow, the old ones go.
  const auto finished = study.folder() / "finished";
  fs::create_directories(finished / ".bnrun-replaced.8");
  fs::create_directories(finished / ".bnrun-staging.8");
  touch(finished / "new_a.json");
  touch(finished / ".bnrun-replaced.8" / ".bnrun");
  touch(finished / ".bnrun-replaced.8" / "old.json");
  touch(finished / ".bnrun-replaced.8" / ".bnrun-old-entries-out");
  touch(finished / ".bnrun-staging.8" / ".bnrun");
  touch(finished / ".bnrun-staging.8" / "new_b.json");
  bnrun::study::remove_leftovers(finished.string());
  CHECK(names_in(finished) == std::set<std::string>{".bnrun", "new_a.json", "new_b.json"});
}

TEST_CASE("groups report mean, std, min and max per variant and the paired difference with a t interval", "[study]") {
  const TemporaryStudy study("aggregate_groups");
  const auto plan = plan_for(study, "4");
  // bn − no_bn per seed: 0.1, 0.0, 0.1, 0.2 → mean 0.1, std sqrt(0.02/3), t(0.975, 3) = 3.182446305284263.
  const std::vector<RunOutcome> outcomes = {synthetic_outcome(0.9, 0.8), synthetic_outcome(0.8, 0.8),
                                            synthetic_outcome(1.0, 0.9), synthetic_outcome(0.9, 0.7)};
  const auto groups = bnrun::study::summarize_groups(plan, outcomes);
  REQUIRE(groups.size() == 1);
  const auto& bn = groups[0].arms[0];
  CHECK(bn.arm == "bn");
  CHECK(bn.summary(Metric::test_accuracy).n == 4);
  CHECK(bn.summary(Metric::test_accuracy).mean == Approx(0.9).epsilon(1e-12));
  CHECK(bn.summary(Metric::test_accuracy).std == Approx(std::sqrt(0.02 / 3)).epsilon(1e-12));
  CHECK(bn.summary(Metric::test_accuracy).min == 0.8);
  CHECK(bn.summary(Metric::test_accuracy).max == 1.0);
  REQUIRE(groups[0].differences.size() == 1);
  const auto& difference = groups[0].differences[0].of(Metric::test_accuracy);
  CHECK(difference.n == 4);
  CHECK(difference.mean == Approx(0.1).epsilon(1e-12));
  const double half_width = 3.182446305284263 * std::sqrt(0.02 / 3) / 2.0;
  CHECK(difference.ci_low == Approx(0.1 - half_width).epsilon(1e-9));
  CHECK(difference.ci_high == Approx(0.1 + half_width).epsilon(1e-9));
  const std::string table = bnrun::study::study_table(plan, outcomes, groups);
  CHECK_THAT(table, Contains("0.9000 ± 0.0816"));
  CHECK_THAT(table, Contains("paired over 4 seeds"));
}

TEST_CASE("a failed seed leaves that seed out of the statistics and is listed", "[study]") {
  const TemporaryStudy study("aggregate_failed");
  const auto plan = plan_for(study, "3");
  RunOutcome failed;
  failed.state = RunState::failed;
  failed.error = "data.csv:3:2: not a number";
  const std::vector<RunOutcome> outcomes = {synthetic_outcome(0.9, 0.8), failed, synthetic_outcome(1.0, 0.9)};
  const auto groups = bnrun::study::summarize_groups(plan, outcomes);
  CHECK(groups[0].arms[0].summary(Metric::test_accuracy).n == 2);
  CHECK(groups[0].arms[0].failed == 1);
  CHECK(groups[0].differences[0].of(Metric::test_accuracy).n == 2);
  CHECK_THAT(bnrun::study::study_table(plan, outcomes, groups), Contains("failed: data.csv:3:2: not a number"));
  const std::string csv = bnrun::study::summary_csv(plan, outcomes);
  CHECK_THAT(csv, Contains("2,002_seed=11,11,bn,failed,,,,,,data.csv:3:2: not a number\n"));
}

TEST_CASE("summary.csv has one row per run and variant with the swept values", "[study]") {
  const TemporaryStudy study("outputs_csv");
  const auto plan = plan_for(study, "", {"training.batch_size=8,16"});
  const std::vector<RunOutcome> outcomes = {synthetic_outcome(0.9, 0.8), synthetic_outcome(0.7, 0.6)};
  const std::string csv = bnrun::study::summary_csv(plan, outcomes);
  CHECK(csv.rfind("run,folder,training.batch_size,seed,variant,status,test_accuracy,test_loss,", 0) == 0);
  CHECK_THAT(csv, Contains("\n2,002_batch_size=16,16,10,no_bn,ok,0.6,0.4,"));
  const auto groups = bnrun::study::summarize_groups(plan, outcomes);
  const auto summary = bnrun::study::summary_json(plan, outcomes, groups, {});
  CHECK(summary["runs"].size() == 4);
  CHECK(summary["runs"][3]["settings"]["training.batch_size"] == 16);
  CHECK(summary["groups"][1]["variants"]["bn"]["test_accuracy"]["mean"] == 0.7);
  const auto figures = bnrun::study::study_figures(plan, outcomes, groups);
  REQUIRE(figures.size() == 3);  // two learning-curve figures and one sweep plot
  CHECK(figures[2].file == "plots/sweep_batch_size.svg");
  const std::string report = bnrun::study::report_markdown(plan, outcomes, groups, figures, "bnrun ...");
  CHECK_THAT(report, Contains("![Test accuracy and loss against training.batch_size](plots/sweep_batch_size.svg)"));
}

TEST_CASE("a plan read back from its plan.json is the plan, run for run", "[study][shards]") {
  const TemporaryStudy study("plan_json");
  const auto plan = plan_for(study, "2", {"training.batch_size=8,16"});
  const auto document = nlohmann::json::parse(bnrun::study::plan_to_json(plan, "bnrun -c x").dump());
  const auto read = bnrun::study::plan_from_json(document, "plan.json");
  CHECK(bnrun::study::plan_runs_json(read) == bnrun::study::plan_runs_json(plan));
  CHECK(read.group_count == plan.group_count);
  CHECK(read.seeds == plan.seeds);
  REQUIRE(read.axes.size() == 1);
  CHECK(read.axes[0].short_name == "batch_size");
  CHECK(read.axes[0].values == plan.axes[0].values);
  CHECK_THROWS_WITH(bnrun::study::plan_from_json(nlohmann::json::object(), "p.json"),
                    Contains("p.json: not a bnrun study plan"));
}

TEST_CASE("the shards of a study are disjoint, together the whole study, each with runs of every setting",
          "[study][shards]") {
  const TemporaryStudy study("shard_split");
  const auto plan = plan_for(study, "3", {"training.batch_size=8,16"});
  std::vector<std::size_t> seen;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto part = bnrun::study::shard_plan(plan, {i, 4});
    for (const auto& run : part.runs) seen.push_back(run.index);
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::size_t>{1, 2, 3, 4, 5, 6});
  const auto first = bnrun::study::shard_plan(plan, {0, 4});
  REQUIRE(first.runs.size() == 2);
  CHECK(first.runs[0].index == 1);
  CHECK(first.runs[1].index == 5);
  CHECK(bnrun::study::parse_shard("2/5").index == 2);
  CHECK(bnrun::study::parse_shard("2/5").count == 5);
  CHECK_THROWS_WITH(bnrun::study::parse_shard("5/5"), Contains("--shard 5/5: expected I/N with 0 ≤ I < N"));
  CHECK(bnrun::study::without_shard_option("bnrun -c x --shard 1/4 -o d") == "bnrun -c x -o d");
  CHECK(bnrun::study::without_shard_option("bnrun -c x -o d --shard=3/4") == "bnrun -c x -o d");
}

TEST_CASE("compare shows only the config settings that differ", "[study]") {
  const TemporaryStudy study("compare_runs");
  const auto plan = plan_for(study, "", {"training.batch_size=8,16"});
  const auto output = (study.folder() / "out").string();
  bnrun::study::prepare_output_folder(output, false, false);
  bnrun::study::RunnerOptions options;
  options.output_directory = output;
  bnrun::study::run_plan(plan, options);
  const auto runs = bnrun::study::read_compared_runs({output});
  REQUIRE(runs.size() == 2);
  CHECK(bnrun::study::differing_keys(runs) == std::vector<std::string>{"training.batch_size"});
  const std::string table = bnrun::study::comparison_across_runs(runs);
  CHECK_THAT(table, Contains("settings that differ: training.batch_size"));
  CHECK_THROWS_WITH(bnrun::study::read_compared_runs({(study.folder() / "nothing").string()}),
                    Contains("no such file or folder"));
}

namespace {

// Outcomes of a plan whose runs give bn and no_bn these test accuracies, run by run.
std::vector<RunOutcome> outcomes_with(const std::vector<std::pair<double, double>>& accuracies) {
  std::vector<RunOutcome> outcomes;
  for (const auto& [bn, no_bn] : accuracies) outcomes.push_back(synthetic_outcome(bn, no_bn));
  return outcomes;
}

bnrun::study::Claim accuracy_claim() {
  return bnrun::study::parse_claim(
      nlohmann::json::parse(R"({"title": "t", "question": "q", "metric": "test_accuracy", "better": "higher"})"),
      "c.json");
}

}  // namespace

TEST_CASE("a claim is supported when BN's interval clears zero in at least half the settings and nowhere loses",
          "[study][claims]") {
  const TemporaryStudy study("claims_supported");
  const auto plan = plan_for(study, "5", {"training.batch_size=8,16"});
  // Setting 1: bn ahead by 0.1 ± small on every seed; setting 2: no difference at all.
  const auto outcomes = outcomes_with({{0.9, 0.8},
                                       {0.91, 0.8},
                                       {0.92, 0.8},
                                       {0.9, 0.81},
                                       {0.93, 0.8},
                                       {0.8, 0.8},
                                       {0.81, 0.81},
                                       {0.82, 0.82},
                                       {0.8, 0.8},
                                       {0.83, 0.83}});
  const auto judgements = bnrun::study::judge_claim(accuracy_claim(), plan, outcomes);
  REQUIRE(judgements.size() == 1);
  const auto& judgement = judgements.front();
  CHECK(judgement.arm == "bn");
  CHECK(judgement.reference == "no_bn");
  CHECK(judgement.verdict == bnrun::study::Verdict::supported);
  REQUIRE(judgement.settings.size() == 2);
  CHECK(judgement.settings[0].direction == 1);
  CHECK(judgement.settings[1].direction == 0);
  CHECK_THAT(bnrun::study::claim_markdown(judgements, plan, outcomes, {"claims/x.svg"}),
             Contains("**Verdict: supported**"));
}

TEST_CASE("a claim is not supported when BN loses somewhere and wins nowhere, or makes no difference",
          "[study][claims]") {
  const TemporaryStudy study("claims_not_supported");
  const auto plan = plan_for(study, "5");
  const auto worse = outcomes_with({{0.8, 0.9}, {0.81, 0.9}, {0.8, 0.92}, {0.79, 0.9}, {0.8, 0.91}});
  CHECK(bnrun::study::judge_claim(accuracy_claim(), plan, worse).front().verdict ==
        bnrun::study::Verdict::not_supported);
  const auto same = outcomes_with({{0.9, 0.9}, {0.9, 0.9}, {0.91, 0.91}, {0.9, 0.9}, {0.9, 0.9}});
  const auto judgement = bnrun::study::judge_claim(accuracy_claim(), plan, same).front();
  CHECK(judgement.verdict == bnrun::study::Verdict::not_supported);
  CHECK_THAT(judgement.reason, Contains("no effect"));
}

TEST_CASE("a claim is inconclusive with fewer than five seeds or intervals too wide to tell", "[study][claims]") {
  const TemporaryStudy study("claims_inconclusive");
  const auto few = bnrun::study::judge_claim(accuracy_claim(), plan_for(study, "4"),
                                             outcomes_with({{0.9, 0.8}, {0.91, 0.8}, {0.92, 0.8}, {0.9, 0.81}}))
                       .front();
  CHECK(few.verdict == bnrun::study::Verdict::inconclusive);
  CHECK_THAT(few.reason, Contains("only 4 seeds"));
  const auto noisy =
      bnrun::study::judge_claim(accuracy_claim(), plan_for(study, "5"),
                                outcomes_with({{0.9, 0.7}, {0.7, 0.9}, {0.95, 0.7}, {0.7, 0.8}, {0.8, 0.8}}))
          .front();
  CHECK(noisy.verdict == bnrun::study::Verdict::inconclusive);
}

TEST_CASE("a diverged run counts as chance accuracy in a claim", "[study][claims]") {
  const TemporaryStudy study("claims_diverged");
  const auto plan = plan_for(study, "5");
  auto outcomes = outcomes_with({{0.9, 0.9}, {0.9, 0.9}, {0.9, 0.9}, {0.9, 0.9}, {0.9, 0.9}});
  for (auto& outcome : outcomes) {
    auto& no_bn = outcome.record.arms[1].result;
    no_bn.status = bnrun::train::RunStatus::diverged;
    no_bn.test.reset();
    outcome.record.data.classes = {"a", "b", "c", "d"};
  }
  const auto judgement = bnrun::study::judge_claim(accuracy_claim(), plan, outcomes).front();
  CHECK(judgement.settings[0].reference.mean == Approx(0.25));
  CHECK(judgement.verdict == bnrun::study::Verdict::supported);
}

TEST_CASE("a claim over several arms judges each against the reference and shows every arm's mean",
          "[study][claims]") {
  const TemporaryStudy study("claims_arms",
                             R"(, "experiment": {"arms": ["bn", "layernorm", "no_bn"], "reference": "bn"})");
  const auto plan = plan_for(study, "5");
  // layernorm ahead of bn by ~0.1 on every seed; no_bn level with bn.
  std::vector<RunOutcome> outcomes;
  for (const double noise : {0.0, 0.01, 0.02, 0.01, 0.0}) {
    auto outcome = synthetic_outcome(0.8 + noise, 0.8 + noise);
    auto layernorm = outcome.record.arms[0];
    layernorm.arm = "layernorm";
    layernorm.result.test->accuracy = 0.9 + noise / 2;
    outcome.record.arms.insert(outcome.record.arms.begin() + 1, layernorm);
    outcomes.push_back(std::move(outcome));
  }
  const auto judgements = bnrun::study::judge_claim(accuracy_claim(), plan, outcomes);
  REQUIRE(judgements.size() == 2);
  CHECK(judgements[0].arm == "layernorm");
  CHECK(judgements[0].reference == "bn");
  CHECK(judgements[0].verdict == bnrun::study::Verdict::supported);
  CHECK_THAT(judgements[0].reason, Contains("layernorm is better in 1 of 1 setting"));
  CHECK(judgements[1].arm == "no_bn");
  CHECK(judgements[1].verdict == bnrun::study::Verdict::not_supported);
  const std::string section = bnrun::study::claim_markdown(judgements, plan, outcomes, {});
  CHECK_THAT(section, Contains("| bn | layernorm | no_bn |"));
  CHECK_THAT(section, Contains("| layernorm | +0.0960 |"));
  CHECK_THAT(section, Contains("- layernorm against bn: **supported**"));

  auto claim = accuracy_claim();
  claim.arms = {"no_bn"};
  REQUIRE(bnrun::study::judge_claim(claim, plan, outcomes).size() == 1);
  claim.arms = {"groupnorm"};
  CHECK_THROWS_WITH(bnrun::study::claim_arms(claim, plan, "c.json"),
                    Contains("c.json: claim.arms: \"groupnorm\" is not an arm of the experiment (bn, layernorm, no_bn)"));
  claim.arms = {"bn"};
  CHECK_THROWS_WITH(bnrun::study::claim_arms(claim, plan, "c.json"), Contains("is the reference arm"));
}

TEST_CASE("claim sections with unknown keys, metrics or directions are refused naming the key", "[study][claims]") {
  auto error_for = [](const char* text) {
    try {
      bnrun::study::parse_claim(nlohmann::json::parse(text), "c.json");
    } catch (const bnrun::UserError& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  };
  CHECK_THAT(error_for(R"({"title": "t", "question": "q", "metric": "speed", "better": "higher"})"),
             Contains("c.json: claim.metric: expected one of"));
  CHECK_THAT(error_for(R"({"title": "t", "question": "q", "metric": "test_loss", "better": "up"})"),
             Contains("claim.better"));
  CHECK_THAT(error_for(R"({"title": "t", "question": "q", "metric": "test_loss", "better": "lower", "x": 1})"),
             Contains("claim.x: unknown key"));
  CHECK_THAT(error_for(R"({"title": "t", "question": "q", "metric": "test_loss", "better": "lower", "arm": "bn",
                           "arms": ["bn"]})"),
             Contains("claim.arms: give \"arm\" (one arm) or \"arms\" (a list), not both"));
  CHECK_THAT(error_for(R"({"title": "t", "question": "q", "metric": "test_loss", "better": "lower", "arms": []})"),
             Contains("claim.arms: expected at least one arm"));
}

TEST_CASE("a labelled sweep value names the setting and sets the value it stands for", "[study]") {
  const TemporaryStudy study(
      "plan_labels",
      R"(, "sweep": {"model.layers": [{"label": "wide", "value": [{"type": "dense", "units": 64, "activation": "relu"},
                                                                 {"type": "dense", "units": 3, "activation": "softmax"}]}]})");
  const auto plan = plan_for(study, "");
  REQUIRE(plan.runs.size() == 1);
  CHECK(plan.runs[0].folder == "001_layers=wide");
  CHECK(std::get<bnrun::nn::DenseSpec>(plan.runs[0].config.layers[0]).units == 64);
  CHECK(plan.runs[0].config.layers.size() == 2);
}
