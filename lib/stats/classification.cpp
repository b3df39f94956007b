#include "stats/classification.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace bnrun::stats {

namespace {

// zero_division=0: a ratio with nothing to divide by is 0, not NaN.
double ratio_or_zero(std::size_t numerator, std::size_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

}  // namespace

std::vector<std::int32_t> predicted_classes(std::span<const double> probabilities, std::size_t classes) {
  const std::size_t rows = probabilities.size() / classes;
  std::vector<std::int32_t> predicted(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const double* row = probabilities.data() + i * classes;
    std::size_t best = 0;
    for (std::size_t k = 1; k < classes; ++k)
      if (row[k] > row[best]) best = k;
    predicted[i] = static_cast<std::int32_t>(best);
  }
  return predicted;
}

std::vector<std::vector<std::size_t>> confusion_matrix(std::span<const std::int32_t> labels,
                                                       std::span<const std::int32_t> predicted, std::size_t classes) {
  std::vector<std::vector<std::size_t>> confusion(classes, std::vector<std::size_t>(classes, 0));
  for (std::size_t i = 0; i < labels.size(); ++i)
    ++confusion[static_cast<std::size_t>(labels[i])][static_cast<std::size_t>(predicted[i])];
  return confusion;
}

std::vector<ClassScores> per_class_scores(const std::vector<std::vector<std::size_t>>& confusion) {
  const std::size_t classes = confusion.size();
  std::vector<ClassScores> scores(classes);
  for (std::size_t k = 0; k < classes; ++k) {
    const std::size_t true_positives = confusion[k][k];
    std::size_t predicted_as_k = 0;
    for (std::size_t t = 0; t < classes; ++t) predicted_as_k += confusion[t][k];
    const std::size_t support = std::accumulate(confusion[k].begin(), confusion[k].end(), std::size_t{0});
    ClassScores& score = scores[k];
    score.support = support;
    score.precision = ratio_or_zero(true_positives, predicted_as_k);
    score.recall = ratio_or_zero(true_positives, support);
    const double sum = score.precision + score.recall;
    score.f1 = sum == 0.0 ? 0.0 : 2.0 * score.precision * score.recall / sum;
  }
  return scores;
}

double macro_f1(std::span<const ClassScores> per_class) {
  double sum = 0.0;
  for (const auto& score : per_class) sum += score.f1;
  return sum / static_cast<double>(per_class.size());
}

double balanced_accuracy(std::span<const ClassScores> per_class) {
  double sum = 0.0;
  std::size_t present = 0;
  for (const auto& score : per_class) {
    if (score.support == 0) continue;
    sum += score.recall;
    ++present;
  }
  return present == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(present);
}

double binary_roc_auc(std::span<const std::uint8_t> positive, std::span<const double> scores) {
  const std::size_t rows = scores.size();
  std::vector<std::size_t> order(rows);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // The sum of the positives' ranks (1-based), tied scores sharing their average rank. Ranks are multiples of
  // 1/2, so the sum is exact in double far beyond any row count bnrun reads.
  double positive_rank_sum = 0.0;
  std::size_t positives = 0;
  for (std::size_t start = 0, end = 0; start < rows; start = end) {
    end = start + 1;
    while (end < rows && scores[order[end]] == scores[order[start]]) ++end;
    const double average_rank = static_cast<double>(start + 1 + end) / 2.0;
    for (std::size_t i = start; i < end; ++i)
      if (positive[order[i]]) {
        positive_rank_sum += average_rank;
        ++positives;
      }
  }
  const std::size_t negatives = rows - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(positives);
  const double u = positive_rank_sum - p * (p + 1.0) / 2.0;
  return u / (p * static_cast<double>(negatives));
}

double roc_auc(std::span<const std::int32_t> labels, std::span<const double> probabilities,
               std::span<const std::string> class_names, std::string& why) {
  const std::size_t classes = class_names.size();
  const std::size_t rows = labels.size();
  std::vector<std::size_t> support(classes, 0);
  for (const auto label : labels) ++support[static_cast<std::size_t>(label)];
  for (std::size_t k = 0; k < classes; ++k)
    if (support[k] == 0) {
      why = fmt::format("class \"{}\" does not occur among the {} labels, so its ROC curve has no positives", class_names[k],
                        rows);
      return std::numeric_limits<double>::quiet_NaN();
    }
  // A model with overflowing outputs (a model file evaluated on data far from its training data) gives NaN
  // probabilities, which have no rank.
  for (const double probability : probabilities)
    if (std::isnan(probability)) {
      why = "some predicted probabilities are NaN (the model's outputs overflowed), so they have no ranking";
      return std::numeric_limits<double>::quiet_NaN();
    }
  why.clear();
  std::vector<std::uint8_t> positive(rows);
  std::vector<double> scores(rows);
  const auto auc_of_class = [&](std::size_t k) {
    for (std::size_t i = 0; i < rows; ++i) {
      positive[i] = labels[i] == static_cast<std::int32_t>(k) ? 1 : 0;
      scores[i] = probabilities[i * classes + k];
    }
    return binary_roc_auc(positive, scores);
  };
  if (classes == 2) return auc_of_class(1);
  double sum = 0.0;
  for (std::size_t k = 0; k < classes; ++k) sum += auc_of_class(k);
  return sum / static_cast<double>(classes);
}

double log_loss(std::span<const std::int32_t> labels, std::span<const double> probabilities, std::size_t classes) {
  static constexpr double epsilon = std::numeric_limits<double>::epsilon();
  const auto clipped = [](double p) { return std::clamp(p, epsilon, 1.0 - epsilon); };
  double total = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double* row = probabilities.data() + i * classes;
    double row_sum = 0.0;
    for (std::size_t k = 0; k < classes; ++k) row_sum += clipped(row[k]);
    total -= std::log(clipped(row[static_cast<std::size_t>(labels[i])]) / row_sum);
  }
  return total / static_cast<double>(labels.size());
}

ClassificationMetrics classification_metrics(std::span<const std::int32_t> labels,
                                             std::span<const double> probabilities,
                                             std::span<const std::string> class_names) {
  const std::size_t classes = class_names.size();
  ClassificationMetrics metrics;
  metrics.classes.assign(class_names.begin(), class_names.end());
  metrics.confusion = confusion_matrix(labels, predicted_classes(probabilities, classes), classes);
  metrics.per_class = per_class_scores(metrics.confusion);
  metrics.macro_f1 = macro_f1(metrics.per_class);
  metrics.balanced_accuracy = balanced_accuracy(metrics.per_class);
  metrics.roc_auc = roc_auc(labels, probabilities, class_names, metrics.roc_auc_undefined);
  metrics.log_loss = log_loss(labels, probabilities, classes);
  return metrics;
}

}  // namespace bnrun::stats
