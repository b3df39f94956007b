// Classification metrics of one evaluation: each defined once, here, as a pure function of the true labels and
// the predicted probabilities, with scikit-learn's definitions and edge cases (tests/golden/classification.json
// holds scikit-learn's values for the cases below; tests/stats/test_classification.cpp checks them to 1e-12).
//
// probabilities: rows × classes, row-major, each row a distribution (a sigmoid output p is the two columns
// 1 − p, p). labels: one class index in [0, classes) per row. The predicted class of a row is its first largest
// probability (numpy's argmax). Every sum runs in row order: the values do not depend on any thread count.
//
// - confusion[t][p]: rows of true class t predicted as p (sklearn.metrics.confusion_matrix, labels=range(classes)).
// - per class: precision tp / (tp + fp), recall tp / (tp + fn), F1 2·p·r / (p + r), support tp + fn; a ratio
//   with a zero denominator is 0 (precision_recall_fscore_support, zero_division=0): a class never predicted has
//   precision 0, a class absent from the labels has recall 0.
// - macro_f1: the mean F1 over all classes (f1_score average="macro", labels=range(classes), zero_division=0).
// - balanced_accuracy: the mean recall over the classes that occur in the labels (balanced_accuracy_score).
// - roc_auc: binary, from the second class's probability (roc_auc_score(y, p[:, 1])); more classes, the mean of
//   each class against the rest (roc_auc_score(multi_class="ovr", average="macro")). Ties score as the trapezoid
//   does: computed from average ranks (Mann–Whitney U), which equals the trapezoid area exactly. Undefined (NaN,
//   with roc_auc_undefined saying why) when a class does not occur in the labels: one side of its curve is empty,
//   and scikit-learn refuses too; likewise when a probability is NaN.
// - log_loss: −mean log p(true class), each probability clipped to [ε, 1 − ε] (ε = 2^−52, the double epsilon)
//   and the row renormalized to sum 1, as sklearn.metrics.log_loss(eps="auto") does for float64 input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace bnrun::stats {

struct ClassScores {
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
  std::size_t support = 0;  // rows of this class among the labels
};

struct ClassificationMetrics {
  std::vector<std::string> classes;                  // class index → name, the order of every table below
  std::vector<std::vector<std::size_t>> confusion;  // [true class][predicted class]
  std::vector<ClassScores> per_class;
  double macro_f1 = std::numeric_limits<double>::quiet_NaN();
  double balanced_accuracy = std::numeric_limits<double>::quiet_NaN();
  double roc_auc = std::numeric_limits<double>::quiet_NaN();
  std::string roc_auc_undefined;  // why roc_auc is NaN; empty when it has a value
  double log_loss = std::numeric_limits<double>::quiet_NaN();
};

// The first largest probability of each row.
std::vector<std::int32_t> predicted_classes(std::span<const double> probabilities, std::size_t classes);

std::vector<std::vector<std::size_t>> confusion_matrix(std::span<const std::int32_t> labels,
                                                       std::span<const std::int32_t> predicted, std::size_t classes);

std::vector<ClassScores> per_class_scores(const std::vector<std::vector<std::size_t>>& confusion);

double macro_f1(std::span<const ClassScores> per_class);

// NaN when no class occurs (no rows).
double balanced_accuracy(std::span<const ClassScores> per_class);

// The area under the ROC curve of `scores` for the rows where `positive` is true against the others; NaN when
// either side is empty.
double binary_roc_auc(std::span<const std::uint8_t> positive, std::span<const double> scores);

// Binary or one-vs-rest macro ROC-AUC; NaN and `why` set when a class does not occur in the labels or a
// probability is NaN.
double roc_auc(std::span<const std::int32_t> labels, std::span<const double> probabilities,
               std::span<const std::string> class_names, std::string& why);

double log_loss(std::span<const std::int32_t> labels, std::span<const double> probabilities, std::size_t classes);

// Everything above. class_names.size() is the class count (at least 2); labels non-empty.
ClassificationMetrics classification_metrics(std::span<const std::int32_t> labels,
                                             std::span<const double> probabilities,
                                             std::span<const std::string> class_names);

}  // namespace bnrun::stats
