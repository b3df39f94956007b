#include "study/claims.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/names.h"
#include "core/json_reader.h"
#include "experiment/arms.h"
#include "nn/layer_kinds.h"
#include "results/metrics.h"
#include "study/aggregate.h"
#include "study/figures.h"

namespace bnrun::study {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
// The claim's metric for one arm's record: a diverged arm scores chance on an accuracy of its model (a network
// that diverged predicts no better than a guess); otherwise NaN when the arm has no value.
double metric_of(const results::MetricDefinition& metric, const results::ArmRecord& arm, std::size_t classes) {
  if (arm.result.status == train::RunStatus::diverged && metric.chance_when_diverged)
    return classes > 0 ? 1.0 / static_cast<double>(classes) : not_a_number;
  return metric.of(arm);
}

std::string signed_number(double value) {
  return std::isfinite(value) ? fmt::format("{:+.4f}", value) : "-";
}

std::string mean_std(const stats::Summary& summary) {
  if (summary.n == 0) return "-";
  if (summary.n == 1) return fmt::format("{:.4f}", summary.mean);
  return fmt::format("{:.4f} ± {:.4f}", summary.mean, summary.std);
}

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  return name_in(verdict_names, verdict);
}

Claim parse_claim(const json& section, const std::string& config_path) {
  try {
    ObjectReader reader(section, "claim");
    Claim claim;
    claim.title = reader.required_string("title");
    claim.question = reader.required_string("question");
    std::vector<std::string_view> metric_keys;
    for (const auto& definition : results::metric_definitions()) metric_keys.push_back(definition.key);
    if (!reader.has("metric")) reader.required("metric");  // throws "is required but missing"
    claim.metric = *results::metric_from_key(reader.choice_or("metric", "", metric_keys));
    if (reader.has("arm") && reader.has("arms"))
      throw KeyPathError(reader.path_of("arms"), "give \"arm\" (one arm) or \"arms\" (a list), not both");
    if (reader.has("arm")) claim.arms = {reader.string_or("arm", "")};
    if (reader.has("arms")) {
      claim.arms = reader.string_list_or("arms", {});
      if (claim.arms.empty()) throw KeyPathError(reader.path_of("arms"), "expected at least one arm, got []");
    }
    if (!reader.has("better")) reader.required("better");
    claim.higher_is_better = reader.choice_or("better", "", {"higher", "lower"}) == "higher";
    reader.finish();
    return claim;
  } catch (const KeyPathError& error) {
    throw UserError(fmt::format("{}: {}", config_path, error.what()));
  }
}

std::vector<std::string> claim_arms(const Claim& claim, const Plan& plan, const std::string& config_path) {
  const std::string reference = plan_reference(plan);
  const std::vector<std::string> arms = plan_arms(plan);
  if (reference.empty())
    throw UserError(fmt::format("{}: a claim pairs its arms against the experiment's reference arm, and this "
                                "experiment has none (set experiment.reference)",
                                config_path));
  if (claim.arms.empty()) {
    std::vector<std::string> judged;
    for (const auto& arm : arms)
      if (arm != reference) judged.push_back(arm);
    if (judged.empty())
      throw UserError(fmt::format("{}: the experiment trains only its reference arm \"{}\": a claim needs another",
                                  config_path, reference));
    return judged;
  }
  for (const auto& arm : claim.arms) {
    if (std::find(arms.begin(), arms.end(), arm) == arms.end())
      throw UserError(fmt::format("{}: claim.arms: \"{}\" is not an arm of the experiment ({})", config_path, arm,
                                  fmt::join(arms, ", ")));
    if (arm == reference)
      throw UserError(fmt::format("{}: claim.arms: \"{}\" is the reference arm; a claim judges the others against it",
                                  config_path, arm));
  }
  return claim.arms;
}

namespace {

// How verdicts name the arm: "BN" for bn, the arm's own name for the others.
std::string arm_label(const std::string& arm) {
  return arm == "bn" ? "BN" : arm;
}

// The claim's metric for `arm` in every run of `runs` (NaN where it has none), in run order.
std::vector<double> metric_per_run(const results::MetricDefinition& metric, const std::string& arm,
                                   const std::vector<std::size_t>& runs, const std::vector<RunOutcome>& outcomes) {
  std::vector<double> values;
  for (const std::size_t i : runs) {
    const auto* entry = arm_record(outcomes[i], arm);
    values.push_back(entry ? metric_of(metric, *entry, outcomes[i].record.data.classes.size()) : not_a_number);
  }
  return values;
}

std::vector<std::vector<std::size_t>> runs_by_group(const Plan& plan) {
  std::vector<std::vector<std::size_t>> runs_of_group(plan.group_count);
  for (std::size_t i = 0; i < plan.runs.size(); ++i) runs_of_group[plan.runs[i].group].push_back(i);
  return runs_of_group;
}

ClaimJudgement judge_arm(const Claim& claim, const std::string& arm, const Plan& plan,
                         const std::vector<RunOutcome>& outcomes) {
  ClaimJudgement judgement;
  judgement.claim = claim;
  const results::MetricDefinition& metric = results::definition_of(claim.metric);
  const double margin = metric.equivalence_margin;
  judgement.arm = arm;
  judgement.reference = plan_reference(plan);
  const std::string label = arm_label(arm);

  std::size_t favouring = 0, against = 0, equivalent = 0;
  for (const auto& runs : runs_by_group(plan)) {
    SettingJudgement setting;
    setting.settings = plan.runs[runs.front()].settings;
    const auto judged = metric_per_run(metric, arm, runs, outcomes);
    const auto reference = metric_per_run(metric, judgement.reference, runs, outcomes);
    setting.arm = summarize_finite(judged);
    setting.reference = summarize_finite(reference);
    setting.difference =
        stats::corrected_paired_difference(judged, reference, test_to_train_ratio(plan.runs[runs.front()]));
    const auto& d = setting.difference;
    if (d.n >= 2) {
      // On the claimed side of 0: low > 0 when higher is better, high < 0 when lower is better.
      const double favourable_bound = claim.higher_is_better ? d.ci_low : -d.ci_high;
      const double unfavourable_bound = claim.higher_is_better ? d.ci_high : -d.ci_low;
      if (favourable_bound > 0) setting.direction = 1;
      if (unfavourable_bound < 0) setting.direction = -1;
      if (d.ci_low >= -margin && d.ci_high <= margin) ++equivalent;
    }
    favouring += setting.direction == 1 ? 1 : 0;
    against += setting.direction == -1 ? 1 : 0;
    judgement.settings.push_back(std::move(setting));
  }

  const std::size_t settings = judgement.settings.size();
  const std::size_t seeds = plan.seeds.size();
  if (seeds < minimum_seeds_for_a_verdict) {
    judgement.verdict = Verdict::inconclusive;
    judgement.reason = fmt::format("only {} seed{}: the rule needs at least {}", seeds, seeds == 1 ? "" : "s",
                                   minimum_seeds_for_a_verdict);
  } else if (2 * favouring >= settings && favouring > 0 && against == 0) {
    judgement.verdict = Verdict::supported;
    judgement.reason = fmt::format("{} is better in {} of {} setting{} (95 % interval excludes 0) and worse in none",
                                   label, favouring, settings, settings == 1 ? "" : "s");
  } else if (favouring == 0 && against > 0) {
    judgement.verdict = Verdict::not_supported;
    judgement.reason = fmt::format("{} is better in no setting and worse in {} of {} (95 % interval excludes 0)",
                                   label, against, settings);
  } else if (favouring == 0 && equivalent == settings) {
    judgement.verdict = Verdict::not_supported;
    judgement.reason = fmt::format(
        "no effect: in every setting the 95 % interval of {} − {} lies within ±{} and includes 0", arm,
        judgement.reference, margin);
  } else if (favouring == 0 && against == 0) {
    judgement.verdict = Verdict::inconclusive;
    // RMSE and MAE are in the target's units: no margin is fixed for them, so "no effect" is never concluded.
    judgement.reason =
        margin > 0.0
            ? fmt::format("in no setting does the 95 % interval exclude 0, and not all lie within ±{}: these seeds "
                          "cannot tell",
                          margin)
            : "in no setting does the 95 % interval exclude 0: these seeds cannot tell (a metric in the target's "
              "units has no margin of no effect)";
  } else {
    judgement.verdict = Verdict::inconclusive;
    judgement.reason = fmt::format(
        "{} is better in {} and worse in {} of {} settings; the rule needs at least half better and none "
        "worse, or none better",
        label, favouring, against, settings);
  }
  return judgement;
}

std::string interval_text(const stats::PairedDifference& d) {
  return d.n >= 2 ? fmt::format("[{}, {}]", signed_number(d.ci_low), signed_number(d.ci_high)) : "-";
}

std::string direction_mark(const SettingJudgement& setting, const std::string& arm) {
  return setting.direction > 0 ? arm_label(arm) + " better" : setting.direction < 0 ? arm_label(arm) + " worse" : "";
}

}  // namespace

std::vector<ClaimJudgement> judge_claim(const Claim& claim, const Plan& plan, const std::vector<RunOutcome>& outcomes) {
  std::vector<ClaimJudgement> judgements;
  for (const auto& arm : claim_arms(claim, plan, plan.config_path))
    judgements.push_back(judge_arm(claim, arm, plan, outcomes));
  return judgements;
}

std::string claim_markdown(const std::vector<ClaimJudgement>& judgements, const Plan& plan,
                           const std::vector<RunOutcome>& outcomes, const std::vector<std::string>& plot_files) {
  const Claim& claim = judgements.front().claim;
  const std::string& reference = judgements.front().reference;
  const config::Config& config = plan.runs.front().config;
  const results::MetricDefinition& metric = results::definition_of(claim.metric);
  const std::vector<std::string> arms = plan_arms(plan);
  std::string text = fmt::format("## {}\n\n**Question.** {}\n\n", claim.title, claim.question);
  std::string swept;
  for (const auto& axis : plan.axes) {
    std::vector<std::string> values;
    for (const auto& value : axis.values) values.push_back(value_text(value));
    swept += fmt::format("; swept `{}` over {}", axis.key_path, fmt::join(values, ", "));
  }
  std::vector<std::string> arm_texts;
  for (const auto& arm : config.experiment.arms)
    arm_texts.push_back(fmt::format("`{}`", experiment::arm_to_json(arm).dump()));
  const std::string compared =
      arms.size() == 2 ? fmt::format("{} and {} paired by seed", arms[0], arms[1])
                       : fmt::format("arms {} each paired by seed with {}", fmt::join(arm_texts, ", "), reference);
  const bool adam = std::holds_alternative<optim::AdamSettings>(config.training.optimizer);
  text += fmt::format(
      "**Setup.** `{}`{}: {} on `{}`; {} (learning rate {}), batch {}, {} epochs{}; {} seeds ({}–{}), {}. "
      "Metric: `{}` ({} is better).\n\n",
      plan.config_path, plan.axes.empty() ? "" : " (its first setting)", nn::architecture_text(config.layers),
      config.dataset.has_separate_test_file() ? config.dataset.train_path : config.dataset.path, adam ? "adam" : "sgd",
      optim::learning_rate_of(config.training.optimizer), config.training.batch_size, config.training.epochs, swept,
      plan.seeds.size(), plan.seeds.front(), plan.seeds.back(), compared, metric.key,
      claim.higher_is_better ? "higher" : "lower");
  const bool swept_settings = !plan.axes.empty();
  const std::string setting_cell = swept_settings ? "setting | " : "";
  const std::string setting_rule = swept_settings ? "---|" : "";
  auto label_of = [&](const SettingJudgement& setting) {
    return swept_settings ? settings_label(plan, setting.settings) + " | " : std::string();
  };
  if (judgements.size() == 1 && arms.size() == 2) {
    // One arm against the reference: both means, the difference and its interval in one table.
    const ClaimJudgement& judgement = judgements.front();
    text += fmt::format("| {}{} | {} | {} − {} | 95 % interval | |\n|{}--:|--:|--:|--:|---|\n", setting_cell,
                        judgement.arm, reference, judgement.arm, reference, setting_rule);
    for (const auto& setting : judgement.settings)
      text += fmt::format("| {}{} | {} | {} | {} | {} |\n", label_of(setting), mean_std(setting.arm),
                          mean_std(setting.reference), signed_number(setting.difference.mean),
                          interval_text(setting.difference), direction_mark(setting, judgement.arm));
  } else {
    // Every arm's mean per setting, then each judged arm's paired difference against the reference.
    text += fmt::format("| {}{} |\n|{}{}\n", setting_cell, fmt::join(arms, " | "), setting_rule,
                        fmt::join(std::vector<std::string>(arms.size(), "--:|"), ""));
    const auto groups = runs_by_group(plan);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      std::vector<std::string> cells;
      for (const auto& arm : arms) cells.push_back(mean_std(summarize_finite(metric_per_run(metric, arm, groups[g], outcomes))));
      text += fmt::format("| {}{} |\n", label_of(judgements.front().settings[g]), fmt::join(cells, " | "));
    }
    text += fmt::format("\n| {}arm − {} | difference | 95 % interval | |\n|{}---|--:|--:|---|\n", setting_cell,
                        reference, setting_rule);
    for (std::size_t g = 0; g < groups.size(); ++g)
      for (const auto& judgement : judgements) {
        const auto& setting = judgement.settings[g];
        text += fmt::format("| {}{} | {} | {} | {} |\n", label_of(setting), judgement.arm,
                            signed_number(setting.difference.mean), interval_text(setting.difference),
                            direction_mark(setting, judgement.arm));
      }
  }
  text += "\n";
  for (const auto& file : plot_files) text += fmt::format("![{}]({})\n\n", claim.title, file);
  if (judgements.size() == 1) {
    text += fmt::format("**Verdict: {}** — {}.\n\n", verdict_name(judgements.front().verdict),
                        judgements.front().reason);
  } else {
    text += "**Verdicts.**\n\n";
    for (const auto& judgement : judgements)
      text += fmt::format("- {} against {}: **{}** — {}.\n", judgement.arm, reference, verdict_name(judgement.verdict),
                          judgement.reason);
    text += "\n";
  }
  return text;
}

std::string claims_preamble(const std::vector<ClaimJudgement>& judgements, const std::string& command_line,
                            double minutes) {
  std::string text = fmt::format(
      "# What the data say about batch norm's claims\n\n"
      "The seed notebook claims that batch normalization gives stable learning, faster convergence, higher usable "
      "learning rates, less sensitivity to initialization, a regularizing effect, good behaviour with sigmoid, tanh "
      "and ReLU, and trainable deeper networks; Ioffe & Szegedy (2015, Figure 1) show an MLP reaching higher test "
      "accuracy sooner with BN. The papers that followed claim that Batch Renormalization (Ioffe 2017) and "
      "GroupNorm or LayerNorm fix small batches, that Ghost BN (Hoffer et al. 2017) narrows the large-batch "
      "generalization gap, and that BN regularizes as Dropout does. Each claim below is one config in "
      "`configs/claims/`, run for every setting of its sweep with its arms trained from the same seeds on the same "
      "splits and batches, each judged arm paired by seed with the reference arm (no_bn unless the claim says "
      "otherwise), and judged by a rule fixed before the runs.\n\n"
      "Reproduce everything on this page (numbers, plots, verdicts) with `{}` ({:.1f} min on 2 cores here).\n\n"
      "**The rule.** For each setting, d = metric(arm) − metric(reference) per seed, with its 95 % Student-t "
      "interval. A setting favours the arm when the whole interval lies on the claimed side of 0, and goes against "
      "it when it lies wholly on the other side. *Supported*: at least {} seeds, at least half of the settings favour "
      "the arm and none goes against it. *Not supported*: at least {} seeds, no setting favours the arm, and either "
      "one goes against it or every interval lies within ±0.01 (accuracy, gap, R²) / ±0.02 (loss) of 0 (RMSE and MAE, "
      "in the target's units, have no such margin). *Inconclusive*: "
      "anything else. A diverged run counts as chance accuracy (1 / classes).\n\n"
      "| claim | arm − reference | metric | verdict | why |\n|---|---|---|---|---|\n",
      command_line, minutes, minimum_seeds_for_a_verdict, minimum_seeds_for_a_verdict);
  for (const auto& judgement : judgements)
    text += fmt::format("| {} | {} − {} | `{}` | **{}** | {} |\n", judgement.claim.title, judgement.arm,
                        judgement.reference, results::definition_of(judgement.claim.metric).key,
                        verdict_name(judgement.verdict), judgement.reason);
  return text + "\n";
}

}  // namespace bnrun::study
