// Regression: the metrics against scikit-learn's and the losses against PyTorch's on fixed numbers
// (scripts/make_golden_regression.py → tests/golden/regression.json), the loss gradients against finite differences
// in double, and the numeric target through the data layer, training, the model file and evaluation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/dataset.h"
#include "kernels/loss.h"
#include "modelio/model_file.h"
#include "modelio/predict.h"
#include "stats/regression.h"
#include "tests/nn/golden_file.h"
#include "train/trainer.h"

using bnrun::kernels::RegressionLoss;

namespace {

RegressionLoss loss_kind(const std::string& name) {
  if (name == "mae") return RegressionLoss::mae;
  if (name == "huber") return RegressionLoss::huber;
  return RegressionLoss::mse;
}

const std::string diabetes_csv = std::string(BNRUN_SOURCE_DIR) + "/datasets/diabetes.csv";

bnrun::data::DatasetConfig diabetes() {
  bnrun::data::DatasetConfig dataset;
  dataset.path = diabetes_csv;
  dataset.target = "progression";
  dataset.numeric_target = true;
  dataset.test_fraction = 0.2;
  dataset.validation_fraction = 0.1;
  return dataset;
}

}  // namespace

TEST_CASE("RMSE, MAE and R² equal scikit-learn's to 1e-12, a constant truth included", "[stats][regression]") {
  const auto golden = bnrun::testing::load_golden("regression.json");
  REQUIRE(golden["metrics"].size() == 5);
  for (const auto& example : golden["metrics"]) {
    INFO(example["name"].get<std::string>());
    const auto truth = example["truth"].get<std::vector<double>>();
    const auto predicted = example["predicted"].get<std::vector<double>>();
    const auto metrics = bnrun::stats::regression_metrics(truth, predicted);
    const auto& expected = example["expected"];
    const double scale = 1.0 + std::abs(expected["rmse"].get<double>());
    CHECK(metrics.rmse == Approx(expected["rmse"].get<double>()).margin(1e-12 * scale));
    CHECK(metrics.mae == Approx(expected["mae"].get<double>()).margin(1e-12 * scale));
    CHECK(metrics.r2 == Approx(expected["r2"].get<double>()).margin(1e-12));
  }
}

TEST_CASE("no rows give no regression metrics rather than a division by zero", "[stats][regression]") {
  const auto metrics = bnrun::stats::regression_metrics({}, {});
  CHECK(std::isnan(metrics.rmse));
  CHECK(std::isnan(metrics.mae));
  CHECK(std::isnan(metrics.r2));
}

TEST_CASE("mse, mae and huber losses and gradients equal PyTorch's to 1e-12", "[kernels][regression]") {
  const auto golden = bnrun::testing::load_golden("regression.json");
  REQUIRE(golden["losses"].size() == 6);
  for (const auto& example : golden["losses"]) {
    INFO(example["name"].get<std::string>());
    const auto outputs = example["outputs"].get<std::vector<double>>();
    const auto targets = example["targets"].get<std::vector<double>>();
    std::vector<double> gradient(outputs.size());
    const double loss =
        bnrun::kernels::regression_loss(loss_kind(example["loss"].get<std::string>()), outputs.data(), targets.data(),
                                        outputs.size(), gradient.data(), example["delta"].get<double>());
    CHECK(loss == Approx(example["expected"]["loss"].get<double>()).margin(1e-12));
    bnrun::testing::check_close(gradient, bnrun::testing::flatten(example["expected"]["gradient"]), "gradient");
  }
}

TEST_CASE("regression loss gradients match central finite differences in double", "[kernels][regression]") {
  const std::vector<double> targets = {0.3, -1.2, 2.0, 0.0, -0.4};
  const std::vector<double> outputs = {1.1, -0.1, 0.25, -2.0, -0.37};
  for (const auto kind : {RegressionLoss::mse, RegressionLoss::mae, RegressionLoss::huber}) {
    std::vector<double> gradient(outputs.size());
    bnrun::kernels::regression_loss(kind, outputs.data(), targets.data(), outputs.size(), gradient.data(), 0.5);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const double step = 1e-6;
      auto moved = outputs;
      moved[i] += step;
      const double up = bnrun::kernels::regression_loss(kind, moved.data(), targets.data(), moved.size(), static_cast<double*>(nullptr), 0.5);
      moved[i] -= 2 * step;
      const double down =
          bnrun::kernels::regression_loss(kind, moved.data(), targets.data(), moved.size(), static_cast<double*>(nullptr), 0.5);
      CHECK(gradient[i] == Approx((up - down) / (2 * step)).margin(1e-8));
    }
  }
}

TEST_CASE("a numeric target follows its rows through the split and is standardized on the training rows only",
          "[data][regression]") {
  const auto data = bnrun::data::prepare_data(diabetes(), 42);
  CHECK(data.numeric_target);
  CHECK(data.class_names.empty());
  CHECK(data.train.rows() + data.validation.rows() + data.test.rows() == 442);
  // Every split's targets: as many as rows, the scaled ones (y − mean) / scale of them.
  for (const auto* split : {&data.train, &data.validation, &data.test}) {
    REQUIRE(split->targets.size() == split->rows());
    REQUIRE(split->scaled_targets.size() == split->rows());
    for (std::size_t i = 0; i < split->rows(); ++i)
      CHECK(split->scaled_targets[i] ==
            static_cast<float>((split->targets[i] - data.target_scaling.mean) / data.target_scaling.scale));
  }
  const double mean = std::accumulate(data.train.targets.begin(), data.train.targets.end(), 0.0) /
                      static_cast<double>(data.train.rows());
  CHECK(data.target_scaling.mean == Approx(mean).epsilon(1e-14));
  double squares = 0.0;
  for (const double y : data.train.targets) squares += (y - mean) * (y - mean);
  CHECK(data.target_scaling.scale == Approx(std::sqrt(squares / static_cast<double>(data.train.rows()))).epsilon(1e-14));
  // The rows keep their own targets: the file's first row (age 59, bmi 32.1) has progression 151 wherever it went.
  bool found = false;
  const auto& reread = bnrun::data::prepare_data(diabetes(), 42, {.keep_unscaled_test = true});
  for (std::size_t i = 0; i < reread.test.rows(); ++i)
    if (reread.unscaled_test_features(i, 0) == 59.0f && reread.unscaled_test_features(i, 2) == 32.1f) {
      CHECK(reread.test.targets[i] == 151.0);
      found = true;
    }
  if (!found) {
    // Not in the test split for this seed: the sum of every target is still the file's.
    double total = 0.0;
    for (const auto* split : {&data.train, &data.validation, &data.test})
      total += std::accumulate(split->targets.begin(), split->targets.end(), 0.0);
    CHECK(total == 67243.0);
  }
}

TEST_CASE("standardize_target false trains on the target as read", "[data][regression]") {
  auto dataset = diabetes();
  dataset.standardize_target = false;
  const auto data = bnrun::data::prepare_data(dataset, 7);
  CHECK(data.target_scaling.mean == 0.0);
  CHECK(data.target_scaling.scale == 1.0);
  for (std::size_t i = 0; i < data.train.rows(); ++i)
    CHECK(data.train.scaled_targets[i] == static_cast<float>(data.train.targets[i]));
}

TEST_CASE("a cell of a numeric target that is no number names the file and line", "[data][regression]") {
  const std::string path = "/tmp/bnrun_test_regression_text.csv";
  std::ofstream(path) << "a,b,y\n1,2,3.5\n2,3,-1e2\n3,4,+7\n4,5,n/a\n";
  auto dataset = diabetes();
  dataset.path = path;
  dataset.target = "y";
  CHECK_THROWS_WITH(bnrun::data::prepare_data(dataset, 1),
                    Catch::Matchers::Contains(path + ":5: the target column 'y' holds \"n/a\", not a finite number"));
  std::remove(path.c_str());
}

TEST_CASE("a regression model saved and read again evaluates its test rows to the numbers training reported",
          "[modelio][regression]") {
  const auto data = bnrun::data::prepare_data(diabetes(), 3, {.keep_unscaled_test = true});
  bnrun::train::TrainingRecipe recipe;
  recipe.model.inputs = data.feature_names.size();
  bnrun::nn::DenseSpec hidden;
  hidden.units = 16;
  hidden.activation = bnrun::nn::Activation::relu;
  bnrun::nn::DenseSpec output;
  output.units = 1;
  recipe.model.layers = {hidden, bnrun::nn::BatchNormSpec{}, output};
  recipe.training.epochs = 15;
  recipe.training.seed = 3;
  recipe.training.huber_delta = 0.5;
  recipe.loss = bnrun::train::Loss::huber;
  recipe.keep_model = true;
  const auto result = bnrun::train::train_and_test({}, recipe, data);
  REQUIRE(result.test);
  REQUIRE(result.test_regression);
  CHECK_FALSE(result.test_metrics);
  CHECK(std::isnan(result.test->accuracy));
  CHECK(result.test_regression->r2 > 0.0);  // better than the mean after 15 epochs
  CHECK(std::isnan(result.history.back().train_accuracy));

  bnrun::modelio::ModelMetadata metadata;
  metadata.loss = recipe.loss;
  metadata.huber_delta = recipe.training.huber_delta;
  metadata.feature_names = data.feature_names;
  metadata.target = "progression";
  metadata.scaler = data.standardizer;
  metadata.target_scaling = data.target_scaling;
  const std::string model_path = "/tmp/bnrun_test_regression_model.json";
  const std::string test_path = "/tmp/bnrun_test_regression_test.csv";
  bnrun::modelio::save_model(model_path, recipe.model, *result.model, metadata);
  std::ofstream(test_path) << bnrun::modelio::split_csv(data.feature_names, "progression", {},
                                                        data.unscaled_test_features, data.test.labels,
                                                        data.test.targets);
  const auto file = bnrun::modelio::read_model_file(model_path);
  CHECK(file.metadata.target_scaling.mean == data.target_scaling.mean);
  CHECK(file.metadata.target_scaling.scale == data.target_scaling.scale);
  CHECK(file.metadata.huber_delta == 0.5);
  const auto model = bnrun::modelio::build_model(file);
  const auto evaluated = bnrun::modelio::evaluate_csv({}, *model, file, test_path);
  REQUIRE(evaluated.regression);
  CHECK(evaluated.evaluation.loss == result.test->loss);
  CHECK(evaluated.regression->rmse == result.test_regression->rmse);
  CHECK(evaluated.regression->mae == result.test_regression->mae);
  CHECK(evaluated.regression->r2 == result.test_regression->r2);
  // predict gives the numbers the metrics were computed from: RMSE from them is the same.
  const auto predictions = bnrun::modelio::predict_csv({}, *model, file, test_path);
  REQUIRE(predictions.values.size() == data.test.rows());
  CHECK(bnrun::stats::regression_metrics(data.test.targets, predictions.values).rmse == result.test_regression->rmse);
  std::remove(model_path.c_str());
  std::remove(test_path.c_str());
}
