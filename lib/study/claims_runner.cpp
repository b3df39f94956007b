// run_claims (study/claims.h): runs and judges each claim config, then writes the claims document.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/error.h"
#include "core/files.h"
#include "data/dataset_cache.h"
#include "kernels/gemm.h"
#include "report/table.h"
#include "study/aggregate.h"
#include "study/claims.h"
#include "study/figures.h"
#include "study/outputs.h"
#include "study/progress.h"
#include "study/replacement.h"
#include "study/team.h"

namespace bnrun::study {

namespace {

// Before any claim trains (minutes to hours): the document's folder and its plot folder exist or can be made,
// and a file can be written there, so that a typo in --doc is one error up front, not after the last run.
void require_writable_folder(const std::filesystem::path& folder, const std::string& document) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error)
    throw UserError(fmt::format("{}: cannot make the folder for the document and its plots ({}): {}", document,
                                folder.string(), error.message()));
  const std::filesystem::path probe = folder / fmt::format(".bnrun-write-test.{}", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw UserError(fmt::format("{}: cannot write in {}: {}", document, folder.string(), std::strerror(errno)));
  ::close(fd);
  std::filesystem::remove(probe, error);
}

}  // namespace

ClaimsResult run_claims(const ClaimsRequest& request) {
  namespace fs = std::filesystem;
  const auto start = std::chrono::steady_clock::now();
  struct Planned {
    std::string path;
    Plan plan;
    Claim claim;
  };
  std::vector<Planned> planned;
  for (const auto& path : request.configs) {
    PlanRequest plan_request;
    plan_request.config_path = path;
    plan_request.overrides = request.overrides;
    auto plan = make_plan(plan_request);
    if (plan.claim.is_null()) throw UserError(fmt::format("{}: has no \"claim\" section", path));
    auto claim = parse_claim(plan.claim, path);
    claim_arms(claim, plan, path);  // a claim about an arm the study does not train is an error before any run
    if (const bool regression = plan.runs.front().config.dataset.numeric_target;
        !results::applies_to(claim.metric, regression))
      throw UserError(fmt::format("{}: claim.metric: \"{}\" has no value for a {} run (training.loss \"{}\")", path,
                                  results::definition_of(claim.metric).key,
                                  regression ? "regression" : "classification",
                                  train::loss_name(config::effective_loss(plan.runs.front().config))));
    team_work(plan, request.team);  // under mpirun, a claim that mixes distributed and other runs is refused
    planned.push_back({path, std::move(plan), std::move(claim)});
  }
  const distributed::Communicator* team = request.team && request.team->size() > 1 ? request.team : nullptr;
  const bool leads = !team || team->rank() == 0;  // writes the study folders and the document
  const fs::path document(request.document);
  const fs::path plot_folder = document.parent_path() / "claims";
  if (leads) {
    require_writable_folder(plot_folder, request.document);
    require_writable_folder(document.parent_path().empty() ? fs::path(".") : document.parent_path(), request.document);
  }
  const auto environment = report::current_environment(request.compute.threads,
                                                       kernels::matmul_backend_description(request.compute.matmul));
  ClaimsResult result;
  std::string sections;
  for (const auto& [path, plan, claim] : planned) {
    const std::string stem = fs::path(path).stem().string();
    const std::string output = (fs::path(request.output_root) / stem).string();
    // The claim's earlier outputs stay until the new ones are written.
    data::DatasetCache data(request.compute);
    std::optional<OpenOutputFolder> folder;
    std::string write_to;
    std::string start_failed;
    try {
      if (leads) write_to = folder.emplace(output, plan, true, false, "", data).write_to();
    } catch (...) {
      if (!team) throw;
      start_failed = failure_message(std::current_exception());
    }
    if (team) write_to = agree_to_start(*team, start_failed, write_to);
    spdlog::info("{}: {} runs", claim.title, plan.runs.size());
    Progress progress(plan, request.live_progress);
    RunnerObserver observer;
    observer.on_epoch = progress.observer().on_epoch;  // the status line only: no log line per run
    RunnerOptions runner_options;
    runner_options.jobs = request.jobs;
    runner_options.compute = request.compute;
    runner_options.output_directory = write_to;
    runner_options.should_stop = request.should_stop;
    runner_options.data = &data;
    const auto outcomes = train_runs(plan, runner_options, observer, team, team_work(plan, team));
    progress.clear();
    if (request.should_stop && request.should_stop()) {
      result.interrupted = true;
      return result;
    }
    if (!leads) continue;
    // A claims document is regenerated whole: a file that cannot be written stops it, the old outputs kept.
    std::vector<std::string> unwritten = write_study_outputs(write_to, plan, outcomes, environment, request.command_line);
    for (const auto& outcome : outcomes) unwritten.insert(unwritten.end(), outcome.unwritten.begin(), outcome.unwritten.end());
    if (!unwritten.empty()) throw UserError(unwritten.front());
    folder->commit();
    auto judgements = judge_claim(claim, plan, outcomes);
    // The plots the document shows: the sweep plots, or the learning curves when nothing is swept.
    const auto groups = summarize_groups(plan, outcomes);
    const FigureKind shown = plan.axes.empty() ? FigureKind::learning_curves : FigureKind::sweep;
    std::vector<std::string> plot_files;
    for (const auto& figure : study_figures(plan, outcomes, groups)) {
      if (figure.kind != shown) continue;
      const std::string name = fmt::format("{}_{}", stem, fs::path(figure.file).filename().string());
      write_file_atomically((plot_folder / name).string(), plot::render_svg(figure.figure));
      plot_files.push_back("claims/" + name);
    }
    sections += claim_markdown(judgements, plan, outcomes, plot_files);
    for (auto& judgement : judgements) {
      spdlog::info("{}: {} − {}: {} ({})", claim.title, judgement.arm, judgement.reference,
                   verdict_name(judgement.verdict), judgement.reason);
      result.judgements.push_back(std::move(judgement));
    }
  }
  if (!leads) return result;  // rank 0 writes the document and reports
  result.minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;
  write_file_atomically(request.document,
                        claims_preamble(result.judgements, "scripts/claims.sh", result.minutes) + sections);
  std::vector<std::vector<std::string>> rows = {{"claim", "arm − reference", "verdict", "why"}};
  for (const auto& judgement : result.judgements)
    rows.push_back({judgement.claim.title, judgement.arm + " − " + judgement.reference,
                    std::string(verdict_name(judgement.verdict)), judgement.reason});
  result.table = report::align_columns(rows, {0, 1, 2, 3});
  return result;
}

}  // namespace bnrun::study
