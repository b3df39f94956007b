#include "study/aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace bnrun::study {

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

stats::Summary summarize_finite(const std::vector<double>& values) {
  std::vector<double> finite;
  for (const double value : values)
    if (std::isfinite(value)) finite.push_back(value);
  return stats::summarize(finite);
}

double number_at(const nlohmann::ordered_json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return not_a_number;
  return object[key].get<double>();
}

// Mean, min and max over seeds of one column of a per-epoch ("history", x "epoch") or per-step ("step_history",
// x "step") table, point by point (seeds that stopped early simply end).
Band history_band(const std::vector<const nlohmann::ordered_json*>& entries, const char* column,
                  const char* table = "history", const char* x_key = "epoch") {
  std::map<std::int64_t, std::vector<double>> by_epoch;
  for (const auto* entry : entries) {
    if (!entry->contains(table)) continue;
    for (const auto& epoch : (*entry)[table]) {
      const double value = number_at(epoch, column);
      if (std::isfinite(value)) by_epoch[epoch[x_key].get<std::int64_t>()].push_back(value);
    }
  }
  Band band;
  for (const auto& [epoch, values] : by_epoch) {
    double sum = 0.0;
    for (const double value : values) sum += value;
    band.x.push_back(static_cast<double>(epoch));
    band.mean.push_back(sum / static_cast<double>(values.size()));
    band.low.push_back(*std::min_element(values.begin(), values.end()));
    band.high.push_back(*std::max_element(values.begin(), values.end()));
  }
  return band;
}

}  // namespace

const nlohmann::ordered_json* variant_entry(const RunOutcome& outcome, const std::string& variant) {
  if (outcome.state == RunState::failed || !outcome.result.contains("runs")) return nullptr;
  for (const auto& entry : outcome.result["runs"])
    if (entry.value("variant", "") == variant) return &entry;
  return nullptr;
}

std::vector<std::string> plan_variants(const Plan& plan) {
  std::vector<std::string> variants;
  for (const auto& run : plan.runs)
    for (const auto variant : run.config.experiment.variants) {
      const std::string name(config::variant_name(variant));
      if (std::find(variants.begin(), variants.end(), name) == variants.end()) variants.push_back(name);
    }
  return variants;
}

std::vector<GroupSummary> summarize_groups(const Plan& plan, const std::vector<RunOutcome>& outcomes) {
  const auto variants = plan_variants(plan);
  std::vector<GroupSummary> groups(plan.group_count);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    groups[g].group = g;
    for (const auto& variant : variants) groups[g].variants.push_back({variant, 0, 0, 0, 0, {}, {}, {}, {}});
  }
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& run = plan.runs[i];
    GroupSummary& group = groups[run.group];
    if (group.runs.empty()) group.settings = run.settings;
    group.runs.push_back(i);
    group.seeds.push_back(run.seed);
    for (auto& variant : group.variants) {
      const auto* entry = variant_entry(outcomes[i], variant.variant);
      const std::string status = entry ? entry->value("status", "") : "";
      if (!entry)
        ++variant.failed;
      else if (status == "ok")
        ++variant.ok;
      else if (status == "diverged")
        ++variant.diverged;
      else
        ++variant.interrupted;
      const auto* test = entry && entry->contains("test") ? &(*entry)["test"] : nullptr;
      variant.accuracy.push_back(test ? number_at(*test, "accuracy") : not_a_number);
      variant.loss.push_back(test ? number_at(*test, "loss") : not_a_number);
    }
  }
  for (auto& group : groups) {
    for (auto& variant : group.variants) {
      variant.accuracy_summary = summarize_finite(variant.accuracy);
      variant.loss_summary = summarize_finite(variant.loss);
    }
    const auto bn = std::find_if(group.variants.begin(), group.variants.end(),
                                 [](const VariantSummary& v) { return v.variant == "bn"; });
    const auto no_bn = std::find_if(group.variants.begin(), group.variants.end(),
                                    [](const VariantSummary& v) { return v.variant == "no_bn"; });
    if (bn != group.variants.end() && no_bn != group.variants.end()) {
      group.accuracy_difference = stats::paired_difference(bn->accuracy, no_bn->accuracy);
      group.loss_difference = stats::paired_difference(bn->loss, no_bn->loss);
    }
  }
  return groups;
}

std::vector<VariantCurves> group_curves(const Plan& plan, const std::vector<RunOutcome>& outcomes,
                                        const GroupSummary& group) {
  std::vector<VariantCurves> curves;
  for (const auto& variant : plan_variants(plan)) {
    std::vector<const nlohmann::ordered_json*> entries;
    for (const std::size_t i : group.runs)
      if (const auto* entry = variant_entry(outcomes[i], variant)) entries.push_back(entry);
    curves.push_back({variant, history_band(entries, "train_loss"), history_band(entries, "val_loss"),
                      history_band(entries, "train_accuracy"), history_band(entries, "val_accuracy"),
                      history_band(entries, "test_accuracy", "step_history", "step")});
  }
  return curves;
}

}  // namespace bnrun::study
