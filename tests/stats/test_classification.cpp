// The classification metrics against scikit-learn 1.2's values on fixed labels and probabilities
// (scripts/make_golden_metrics.py → tests/golden/classification.json): binary, three classes, a class never
// predicted, tied scores, a class absent from the labels, certain (0/1) probabilities.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/nn/golden_file.h"
#include "stats/classification.h"

using bnrun::stats::classification_metrics;

namespace {

std::vector<double> as_doubles(const std::vector<std::size_t>& counts) {
  return {counts.begin(), counts.end()};
}

}  // namespace

TEST_CASE("classification metrics equal scikit-learn's to 1e-12, edge cases included", "[stats][classification]") {
  const auto golden = bnrun::testing::load_golden("classification.json");
  REQUIRE(golden["cases"].size() == 7);
  for (const auto& example : golden["cases"]) {
    const std::string name = example["name"].get<std::string>();
    INFO(name);
    const auto classes = example["classes"].get<std::vector<std::string>>();
    const auto labels = example["labels"].get<std::vector<std::int32_t>>();
    const auto probabilities = bnrun::testing::flatten(example["probabilities"]);
    const auto& expected = example["expected"];
    const auto metrics = classification_metrics(labels, probabilities, classes);

    std::vector<double> confusion, precision, recall, f1, support;
    for (std::size_t t = 0; t < classes.size(); ++t) {
      const auto row = as_doubles(metrics.confusion[t]);
      confusion.insert(confusion.end(), row.begin(), row.end());
      precision.push_back(metrics.per_class[t].precision);
      recall.push_back(metrics.per_class[t].recall);
      f1.push_back(metrics.per_class[t].f1);
      support.push_back(static_cast<double>(metrics.per_class[t].support));
    }
    bnrun::testing::check_close(confusion, bnrun::testing::flatten(expected["confusion"]), "confusion");
    bnrun::testing::check_close(precision, bnrun::testing::flatten(expected["precision"]), "precision");
    bnrun::testing::check_close(recall, bnrun::testing::flatten(expected["recall"]), "recall");
    bnrun::testing::check_close(f1, bnrun::testing::flatten(expected["f1"]), "f1");
    bnrun::testing::check_close(support, bnrun::testing::flatten(expected["support"]), "support");
    const std::vector<double> scalars = {metrics.macro_f1, metrics.balanced_accuracy, metrics.log_loss};
    bnrun::testing::check_close(scalars,
                                {expected["macro_f1"].get<double>(), expected["balanced_accuracy"].get<double>(),
                                 expected["log_loss"].get<double>()},
                                "macro_f1, balanced_accuracy, log_loss");
    if (expected["roc_auc"].is_null()) {
      CHECK(std::isnan(metrics.roc_auc));
      CHECK(metrics.roc_auc_undefined.find("does not occur") != std::string::npos);
    } else {
      CHECK(metrics.roc_auc_undefined.empty());
      const std::vector<double> auc = {metrics.roc_auc};
      bnrun::testing::check_close(auc, {expected["roc_auc"].get<double>()}, "roc_auc");
    }
  }
}

TEST_CASE("ROC-AUC names the class missing from the labels instead of failing", "[stats][classification]") {
  const std::vector<std::string> classes = {"setosa", "versicolor", "virginica"};
  const std::vector<std::int32_t> labels = {0, 1, 1};
  const std::vector<double> probabilities = {0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.3, 0.3, 0.4};
  std::string why;
  CHECK(std::isnan(bnrun::stats::roc_auc(labels, probabilities, classes, why)));
  CHECK(why == "class \"virginica\" does not occur among the 3 labels, so its ROC curve has no positives");
}

TEST_CASE("ROC-AUC of a perfect ranking is 1, of a reversed one 0, of all-equal scores one half",
          "[stats][classification]") {
  const std::vector<std::uint8_t> positive = {0, 0, 1, 1};
  CHECK(bnrun::stats::binary_roc_auc(positive, std::vector<double>{0.1, 0.2, 0.3, 0.4}) == 1.0);
  CHECK(bnrun::stats::binary_roc_auc(positive, std::vector<double>{0.4, 0.3, 0.2, 0.1}) == 0.0);
  CHECK(bnrun::stats::binary_roc_auc(positive, std::vector<double>{0.5, 0.5, 0.5, 0.5}) == 0.5);
}

TEST_CASE("NaN probabilities leave ROC-AUC undefined with a reason instead of sorting them", "[stats][classification]") {
  const std::vector<std::string> classes = {"a", "b"};
  const std::vector<std::int32_t> labels = {0, 1, 1};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> probabilities = {0.8, 0.2, nan, nan, 0.3, 0.7};
  const auto metrics = classification_metrics(labels, probabilities, classes);
  CHECK(std::isnan(metrics.roc_auc));
  CHECK(metrics.roc_auc_undefined.find("NaN") != std::string::npos);
  CHECK(std::isnan(metrics.log_loss));
  CHECK(metrics.confusion == std::vector<std::vector<std::size_t>>{{1, 0}, {1, 1}});  // a NaN row predicts class 0
}
