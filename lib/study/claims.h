// Claims: a study that is meant to decide something. A config's "claim" section names the question, the metric
// and which direction would support the claim; judge_claim applies one rule, written down before any run:
//
//   For each setting (sweep point), d = metric(bn) − metric(no_bn) per seed, paired, with its 95 % Student-t
//   interval. The setting favours BN when the whole interval lies on the claimed side of 0, and goes against BN
//   when it lies wholly on the other side.
//   - supported:     at least 5 seeds, at least half of the settings favour BN, and none goes against it;
//   - not supported: at least 5 seeds, no setting favours BN, and either one goes against it or every interval
//                    lies within the practical-equivalence margin (±0.01 accuracy, ±0.02 loss) — no effect;
//   - inconclusive:  anything else (fewer seeds, mixed results, intervals too wide to say).
//
// A run that diverged has no test result; for accuracy metrics it counts as chance (1 / classes) — a network that
// diverged predicts no better than a guess — and for loss metrics its pair is dropped.
//
//   "claim": {"title": "Higher learning rates", "question": "...", "metric": "test_accuracy", "better": "higher"}
//   ("arm": the arm the claim is about, or "arms": a list of them, each judged on its own against the experiment's
//   reference arm; default: every arm other than the reference. A claim about bn has arms bn and no_bn.)
//
// Metrics: test_accuracy, test_loss, mean_test_accuracy_during_training (the mean of the step_history test
// accuracies after step 0: the area under the curve, larger when learning is faster; needs
// training.evaluate_every_steps), generalization_gap (the last epoch's train accuracy − validation accuracy).
#pragma once

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "results/metrics.h"
#include "stats/summary.h"
#include "kernels/parallel.h"
#include "distributed/communicator.h"
#include "study/plan.h"
#include "study/runner.h"

namespace bnrun::study {

struct Claim {
  std::string title;
  std::string question;
  results::Metric metric = results::Metric::test_accuracy;
  bool higher_is_better = true;
  std::vector<std::string> arms;  // the arms judged, each against the reference; empty: every arm but the reference
};

// Reads a plan's claim section; throws UserError naming `config_path` and the key.
Claim parse_claim(const nlohmann::json& section, const std::string& config_path);

enum class Verdict { supported, not_supported, inconclusive };
inline constexpr std::array<std::pair<Verdict, std::string_view>, 3> verdict_names = {
    {{Verdict::supported, "supported"}, {Verdict::not_supported, "not supported"}, {Verdict::inconclusive, "inconclusive"}}};
std::string_view verdict_name(Verdict verdict);

struct SettingJudgement {
  std::vector<Setting> settings;
  stats::Summary arm, reference;       // the metric over seeds
  stats::PairedDifference difference;  // arm − reference
  int direction = 0;                   // +1 favours BN, −1 goes against it, 0 neither
};

// The verdict on one of a claim's arms.
struct ClaimJudgement {
  Claim claim;
  std::string arm, reference;  // what was compared (the reference: the experiment's)
  Verdict verdict = Verdict::inconclusive;
  std::string reason;  // one sentence: which rule decided
  std::vector<SettingJudgement> settings;
};

constexpr std::size_t minimum_seeds_for_a_verdict = 5;

// The arms the claim judges in this plan, in the claim's order (default: the plan's arms but the reference).
// Throws UserError naming `config_path` when the plan has no reference arm or lacks an arm the claim names.
std::vector<std::string> claim_arms(const Claim& claim, const Plan& plan, const std::string& config_path);

// One judgement per claim_arms(), each arm paired against the plan's reference arm.
std::vector<ClaimJudgement> judge_claim(const Claim& claim, const Plan& plan, const std::vector<RunOutcome>& outcomes);

// One section of docs/CLAIMS.md: the question, the setup, the numbers per setting (every arm's mean, and each
// judged arm's paired difference), the plots and the verdicts. `judgements` are one claim's, from judge_claim;
// `plot_files` are paths relative to the document.
std::string claim_markdown(const std::vector<ClaimJudgement>& judgements, const Plan& plan,
                           const std::vector<RunOutcome>& outcomes, const std::vector<std::string>& plot_files);

// The head of docs/CLAIMS.md: how to reproduce it, the rule, and one line per claim with its verdict.
std::string claims_preamble(const std::vector<ClaimJudgement>& judgements, const std::string& command_line,
                            double minutes);

// `bnrun claims`: each claim config run as a study (its outputs under output_root/<config stem>), judged, and one
// markdown document written with the verdicts, numbers and plots (copied beside it, in claims/).
struct ClaimsRequest {
  std::vector<std::string> configs;
  std::vector<std::string> overrides;  // --set, for every config
  std::string output_root = "out/claims";
  std::string document = "docs/CLAIMS.md";
  int jobs = 1;
  kernels::Compute compute = {};  // the whole thread budget (RunnerOptions::compute)
  bool live_progress = false;
  std::string command_line;  // what the document says reproduces it
  std::function<bool()> should_stop;
  // Under mpirun (study/team.h): a claim whose runs set training.distributed is trained by every process together,
  // any other claim's runs are handed out; rank 0 alone writes the study folders and the document. Null or a job of
  // one: this process trains everything.
  const distributed::Communicator* team = nullptr;
};

struct ClaimsResult {
  std::vector<ClaimJudgement> judgements;
  bool interrupted = false;  // should_stop ended it; the document was not written
  double minutes = 0.0;
  std::string table;  // claim, verdict, why: for stdout
};

// Every config is planned and its claim section read before anything runs (a bad one is a UserError first).
ClaimsResult run_claims(const ClaimsRequest& request);

}  // namespace bnrun::study
