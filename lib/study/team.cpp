#include "study/team.h"

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"

namespace bnrun::study {

namespace {

// What a process other than rank 0 did with the runs it was given: the results themselves are in the run folders.
std::string runs_trained_here(const std::vector<RunOutcome>& outcomes) {
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& outcome = outcomes[i];
    if (outcome.state == RunState::not_run && outcome.error == trained_elsewhere) continue;
    runs.push_back({{"run", i},
                    {"has_result", has_record(outcome)},
                    {"state", static_cast<int>(outcome.state)},
                    {"error", outcome.error},
                    {"unwritten", outcome.unwritten}});
  }
  return runs.dump();
}

// Rank 0's outcomes, completed with what the other processes trained: a run with a result is read back from its
// folder, as --resume would; one that failed keeps the message its process gave.
void take_in_runs_trained_elsewhere(const Plan& plan, const std::string& output_directory,
                                    const std::vector<std::string>& reports, std::vector<RunOutcome>& outcomes) {
  for (std::size_t rank = 1; rank < reports.size(); ++rank)
    for (const auto& said : nlohmann::json::parse(reports[rank])) {
      const auto i = said.at("run").get<std::size_t>();
      const PlannedRun& run = plan.runs.at(i);
      RunOutcome outcome;
      outcome.unwritten = said.at("unwritten").get<std::vector<std::string>>();
      if (said.at("has_result").get<bool>()) {
        if (auto record = read_run_result(plan, run, output_directory, true)) {
          outcome.state = static_cast<RunState>(said.at("state").get<int>());
          outcome.record = std::move(*record);
        } else {
          outcome.state = RunState::failed;
          outcome.error = fmt::format(
              "{}: rank {} trained this run, but its result cannot be read here (is --output a folder every process "
              "of the job shares?)",
              run_directory(plan, run, output_directory), rank);
        }
      } else {
        outcome.state = static_cast<RunState>(said.at("state").get<int>());
        outcome.error = said.at("error").get<std::string>();
      }
      outcomes[i] = std::move(outcome);
    }
}

// Every process trains every run, one at a time, so that all meet each run's exchanges in the same order. Rank 0
// alone writes; the runs it keeps (--resume: a finished result) are skipped by every process.
std::vector<RunOutcome> train_together(const Plan& plan, RunnerOptions options, const RunnerObserver& observer,
                                       const distributed::Communicator& team) {
  options.jobs = 1;
  nlohmann::json to_train = nlohmann::json::array();
  if (team.rank() == 0)
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
      const bool kept = options.resume && !options.output_directory.empty() &&
                        read_run_result(plan, plan.runs[i], options.output_directory).has_value();
      if (!kept) to_train.push_back(i);
    }
  const auto said = team.all_gather_text(team.rank() == 0 ? to_train.dump() : "");
  if (team.rank() == 0) return run_plan(plan, options, observer);  // its runner keeps the same runs, resumed
  const auto runs = nlohmann::json::parse(said.front()).get<std::vector<std::size_t>>();
  std::size_t next = 0;
  options.next_run = [&]() -> std::optional<std::size_t> {
    return next < runs.size() ? std::optional(runs[next++]) : std::nullopt;
  };
  options.output_directory.clear();
  options.save_models = false;
  options.resume = false;
  return run_plan(plan, options, observer);
}

}  // namespace

std::string agree_to_start(const distributed::Communicator& team, const std::string& failure,
                           const std::string& output_directory) {
  const auto texts = team.all_gather_text(nlohmann::json{{"failure", failure}, {"write_to", output_directory}}.dump());
  for (std::size_t rank = 0; rank < texts.size(); ++rank) {
    const auto said = nlohmann::json::parse(texts[rank]);
    const auto why = said.at("failure").get<std::string>();
    if (!why.empty()) throw UserError(rank == 0 ? why : fmt::format("rank {}: {}", rank, why));
  }
  return nlohmann::json::parse(texts.front()).at("write_to").get<std::string>();
}

TeamWork team_work(const Plan& plan, const distributed::Communicator* team) {
  if (!team || team->size() == 1) return TeamWork::alone;
  const auto together = static_cast<std::size_t>(std::count_if(
      plan.runs.begin(), plan.runs.end(), [](const PlannedRun& run) { return run.config.training.distributed; }));
  if (together == 0) return TeamWork::handed_out;
  if (together == plan.runs.size()) return TeamWork::together;
  throw UserError(fmt::format("{}: under mpirun, either every run sets training.distributed (each run is trained by "
                              "every process together) or none does (the runs are handed out to the processes); "
                              "this study mixes them",
                              plan.config_path));
}

std::vector<RunOutcome> train_runs(const Plan& plan, RunnerOptions options, const RunnerObserver& observer,
                                   const distributed::Communicator* team, TeamWork work) {
  if (work == TeamWork::alone) return run_plan(plan, options, observer);
  if (work == TeamWork::together) return train_together(plan, std::move(options), observer, *team);
  std::vector<RunOutcome> outcomes;
  if (team->rank() == 0) {
    std::atomic<std::size_t> next{0};
    const auto stop = options.should_stop;
    const auto deal = [&]() -> std::optional<std::size_t> {
      if (stop && stop()) return std::nullopt;
      const std::size_t i = next++;
      return i < plan.runs.size() ? std::optional(i) : std::nullopt;
    };
    options.next_run = deal;
    std::thread dealer([&] { team->deal_runs(deal); });
    outcomes = run_plan(plan, options, observer);
    dealer.join();
  } else {
    bool none_left = false;  // one study's: the next study asks again
    options.next_run = [team, &none_left] { return team->ask_for_run(none_left); };
    outcomes = run_plan(plan, options, observer);
  }
  const auto reports = team->all_gather_text(runs_trained_here(outcomes));
  if (team->rank() == 0) take_in_runs_trained_elsewhere(plan, options.output_directory, reports, outcomes);
  return outcomes;
}

}  // namespace bnrun::study
