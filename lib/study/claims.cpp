#include "study/claims.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/names.h"
#include "core/json_reader.h"
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
    claim.arm = reader.string_or("arm", claim.arm);
    if (!reader.has("better")) reader.required("better");
    claim.higher_is_better = reader.choice_or("better", "", {"higher", "lower"}) == "higher";
    reader.finish();
    return claim;
  } catch (const KeyPathError& error) {
    throw UserError(fmt::format("{}: {}", config_path, error.what()));
  }
}

// The arm a claim's arm is paired against: the experiment's reference (no_bn unless the config says otherwise).
std::string claim_reference(const Plan& plan) {
  const std::string& reference = plan.runs.front().config.experiment.reference;
  return reference.empty() ? "no_bn" : reference;
}

ClaimJudgement judge_claim(const Claim& claim, const Plan& plan, const std::vector<RunOutcome>& outcomes) {
  ClaimJudgement judgement;
  judgement.claim = claim;
  const results::MetricDefinition& metric = results::definition_of(claim.metric);
  const double margin = metric.equivalence_margin;
  const std::string reference = claim_reference(plan);
  judgement.arm = claim.arm;
  judgement.reference = reference;
  std::vector<std::vector<std::size_t>> runs_of_group(plan.group_count);
  for (std::size_t i = 0; i < plan.runs.size(); ++i) runs_of_group[plan.runs[i].group].push_back(i);

  std::size_t favouring = 0, against = 0, equivalent = 0;
  for (const auto& runs : runs_of_group) {
    SettingJudgement setting;
    setting.settings = plan.runs[runs.front()].settings;
    std::vector<double> bn, no_bn;
    for (const std::size_t i : runs) {
      const auto* bn_entry = arm_record(outcomes[i], claim.arm);
      const auto* no_bn_entry = arm_record(outcomes[i], reference);
      const std::size_t classes = outcomes[i].record.data.classes.size();
      bn.push_back(bn_entry ? metric_of(metric, *bn_entry, classes) : not_a_number);
      no_bn.push_back(no_bn_entry ? metric_of(metric, *no_bn_entry, classes) : not_a_number);
    }
    auto finite = [](const std::vector<double>& values) {
      std::vector<double> kept;
      for (const double value : values)
        if (std::isfinite(value)) kept.push_back(value);
      return kept;
    };
    setting.arm = stats::summarize(finite(bn));
    setting.reference = stats::summarize(finite(no_bn));
    setting.difference = stats::paired_difference(bn, no_bn);
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
    judgement.reason = fmt::format("BN is better in {} of {} setting{} (95 % interval excludes 0) and worse in none",
                                   favouring, settings, settings == 1 ? "" : "s");
  } else if (favouring == 0 && against > 0) {
    judgement.verdict = Verdict::not_supported;
    judgement.reason =
        fmt::format("BN is better in no setting and worse in {} of {} (95 % interval excludes 0)", against, settings);
  } else if (favouring == 0 && equivalent == settings) {
    judgement.verdict = Verdict::not_supported;
    judgement.reason = fmt::format(
        "no effect: in every setting the 95 % interval of {} − {} lies within ±{} and includes 0", claim.arm,
        reference, margin);
  } else if (favouring == 0 && against == 0) {
    judgement.verdict = Verdict::inconclusive;
    judgement.reason = fmt::format(
        "in no setting does the 95 % interval exclude 0, and not all lie within ±{}: these seeds cannot tell", margin);
  } else {
    judgement.verdict = Verdict::inconclusive;
    judgement.reason = fmt::format(
        "BN is better in {} and worse in {} of {} settings; the rule needs at least half better and none "
        "worse, or none better",
        favouring, against, settings);
  }
  return judgement;
}

std::string claim_markdown(const ClaimJudgement& judgement, const Plan& plan,
                           const std::vector<std::string>& plot_files) {
  const Claim& claim = judgement.claim;
  const config::Config& config = plan.runs.front().config;
  std::string text = fmt::format("## {}\n\n**Question.** {}\n\n", claim.title, claim.question);
  std::string swept;
  for (const auto& axis : plan.axes) {
    std::vector<std::string> values;
    for (const auto& value : axis.values) values.push_back(value_text(value));
    swept += fmt::format("; swept `{}` over {}", axis.key_path, fmt::join(values, ", "));
  }
  const bool adam = std::holds_alternative<optim::AdamSettings>(config.training.optimizer);
  text += fmt::format(
      "**Setup.** `{}`{}: {} on `{}`; {} (learning rate {}), batch {}, {} epochs{}; {} seeds ({}–{}), {} and {} "
      "paired by seed. Metric: `{}` ({} is better).\n\n",
      plan.config_path, plan.axes.empty() ? "" : " (its first setting)", nn::architecture_text(config.layers),
      config.dataset.has_separate_test_file() ? config.dataset.train_path : config.dataset.path, adam ? "adam" : "sgd",
      optim::learning_rate_of(config.training.optimizer), config.training.batch_size, config.training.epochs, swept,
      plan.seeds.size(), plan.seeds.front(), plan.seeds.back(), judgement.arm, judgement.reference,
      results::definition_of(claim.metric).key, claim.higher_is_better ? "higher" : "lower");
  const std::string settings_header = plan.axes.empty() ? "" : "setting | ";
  const std::string settings_rule = plan.axes.empty() ? "" : "---|";
  text += fmt::format("| {}{} | {} | {} − {} | 95 % interval | |\n|{}--:|--:|--:|--:|---|\n", settings_header,
                      judgement.arm, judgement.reference, judgement.arm, judgement.reference, settings_rule);
  for (const auto& setting : judgement.settings) {
    const auto& d = setting.difference;
    const std::string interval =
        d.n >= 2 ? fmt::format("[{}, {}]", signed_number(d.ci_low), signed_number(d.ci_high)) : "-";
    const std::string mark = setting.direction > 0 ? "BN better" : setting.direction < 0 ? "BN worse" : "";
    text += fmt::format("| {}{} | {} | {} | {} | {} |\n",
                        plan.axes.empty() ? "" : settings_label(plan, setting.settings) + " | ", mean_std(setting.arm),
                        mean_std(setting.reference), signed_number(d.mean), interval, mark);
  }
  text += "\n";
  for (const auto& file : plot_files) text += fmt::format("![{}]({})\n\n", claim.title, file);
  text += fmt::format("**Verdict: {}** — {}.\n\n", verdict_name(judgement.verdict), judgement.reason);
  return text;
}

std::string claims_preamble(const std::vector<ClaimJudgement>& judgements, const std::string& command_line,
                            double minutes) {
  std::string text = fmt::format(
      "# What the data say about batch norm's claims\n\n"
      "The seed notebook claims that batch normalization gives stable learning, faster convergence, higher usable "
      "learning rates, less sensitivity to initialization, a regularizing effect, good behaviour with sigmoid, tanh "
      "and ReLU, and trainable deeper networks; Ioffe & Szegedy (2015, Figure 1) show an MLP reaching higher test "
      "accuracy sooner with BN. Each claim below is one config in `configs/claims/`, run for every setting of its "
      "sweep with bn and no_bn paired by seed, and judged by a rule fixed before the runs.\n\n"
      "Reproduce everything on this page (numbers, plots, verdicts) with `{}` ({:.1f} min on 2 cores here).\n\n"
      "**The rule.** For each setting, d = metric(bn) − metric(no_bn) per seed, with its 95 % Student-t interval. "
      "A setting favours BN when the whole interval lies on the claimed side of 0, and goes against BN when it lies "
      "wholly on the other side. *Supported*: at least {} seeds, at least half of the settings favour BN and none "
      "goes against it. *Not supported*: at least {} seeds, no setting favours BN, and either one goes against it "
      "or every interval lies within ±0.01 (accuracy) / ±0.02 (loss) of 0. *Inconclusive*: anything else. A "
      "diverged run counts as chance accuracy (1 / classes).\n\n"
      "| claim | metric | verdict | why |\n|---|---|---|---|\n",
      command_line, minutes, minimum_seeds_for_a_verdict, minimum_seeds_for_a_verdict);
  for (const auto& judgement : judgements)
    text += fmt::format("| {} | `{}` | **{}** | {} |\n", judgement.claim.title,
                        results::definition_of(judgement.claim.metric).key,
                        verdict_name(judgement.verdict), judgement.reason);
  return text + "\n";
}

}  // namespace bnrun::study
