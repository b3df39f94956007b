// Splits, label mapping and standardization.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "core/error.h"
#include "data/dataset.h"

using bnrun::data::DatasetConfig;
using bnrun::data::prepare_data;
using Catch::Matchers::Contains;

namespace {

const std::string iris_csv = std::string(BNRUN_SOURCE_DIR) + "/datasets/iris.csv";

DatasetConfig iris() {
  DatasetConfig dataset;
  dataset.path = iris_csv;
  dataset.target = "species";
  dataset.test_fraction = 0.2;
  dataset.validation_fraction = 0.1;
  return dataset;
}

std::size_t count(const std::vector<std::int32_t>& labels, std::int32_t label) {
  return static_cast<std::size_t>(std::count(labels.begin(), labels.end(), label));
}

// A temporary CSV file removed at the end of the test.
struct TemporaryCsv {
  std::string path;
  explicit TemporaryCsv(const std::string& content, const std::string& name)
      : path("/tmp/bnrun_test_" + name + ".csv") {
    std::ofstream(path) << content;
  }
  ~TemporaryCsv() { std::remove(path.c_str()); }
};

// One file with target column "y", split with the given test fraction.
DatasetConfig single_file(const TemporaryCsv& csv, double test_fraction) {
  DatasetConfig dataset;
  dataset.path = csv.path;
  dataset.target = "y";
  dataset.test_fraction = test_fraction;
  return dataset;
}

}  // namespace

TEST_CASE("a single file is split into test (ceil of the fraction) and training, validation last, as Keras") {
  const auto data = prepare_data(iris(), 42);
  CHECK(data.test.rows() == 30);
  CHECK(data.validation.rows() == 12);  // 120 − ⌊120·0.9⌋
  CHECK(data.train.rows() == 108);
  CHECK(data.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
  CHECK(data.feature_names.size() == 4);
}

TEST_CASE("the same seed gives the same split and another seed a different one") {
  const auto a = prepare_data(iris(), 42);
  const auto b = prepare_data(iris(), 42);
  const auto c = prepare_data(iris(), 7);
  CHECK(a.test.features.values == b.test.features.values);
  CHECK(a.test.features.values != c.test.features.values);
}

TEST_CASE("a split random_state gives every run seed the same rows, the ones that seed alone would choose") {
  auto fixed = iris();
  fixed.standardize = bnrun::data::Standardize::none;
  fixed.split_random_state = 7;
  auto unfixed = fixed;
  unfixed.split_random_state.reset();
  const auto a = prepare_data(fixed, 42);
  const auto b = prepare_data(fixed, 43);
  CHECK(a.test.features.values == b.test.features.values);
  CHECK(a.validation.features.values == b.validation.features.values);
  CHECK(a.train.features.values == b.train.features.values);
  CHECK(a.test.features.values == prepare_data(unfixed, 7).test.features.values);
  CHECK(a.test.features.values != prepare_data(unfixed, 42).test.features.values);
}

TEST_CASE("a stratified split keeps the class proportions in the test set") {
  auto dataset = iris();
  dataset.stratify = true;
  const auto data = prepare_data(dataset, 3);
  for (std::int32_t k = 0; k < 3; ++k) CHECK(count(data.test.labels, k) == 10);
}

TEST_CASE("a stratified split keeps the class proportions in the validation set too") {
  auto dataset = iris();
  dataset.stratify = true;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto data = prepare_data(dataset, seed);
    for (std::int32_t k = 0; k < 3; ++k) CHECK(count(data.validation.labels, k) == 4);  // 12 rows, 3 classes
  }
}

TEST_CASE("a rare class gets its share of the validation rows when stratified, for every seed") {
  std::string content = "x,y\n";
  for (int i = 0; i < 100; ++i) content += std::to_string(i) + (i % 10 == 0 ? ",rare\n" : ",common\n");
  TemporaryCsv csv(content, "rare_class");
  DatasetConfig dataset = single_file(csv, 0.1);
  dataset.validation_fraction = 0.1;
  dataset.stratify = true;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const auto data = prepare_data(dataset, seed);
    // 90 training rows (81 common, 9 rare) → 9 validation rows: 8.1 common and 0.9 rare, rounded to 8 and 1.
    CHECK(count(data.test.labels, 1) == 1);
    CHECK(count(data.validation.labels, 1) == 1);
    CHECK(count(data.validation.labels, 0) == 8);
    CHECK(count(data.train.labels, 1) == 8);
  }
}

TEST_CASE("standardization is fit on the training rows only") {
  auto dataset = iris();
  const auto data = prepare_data(dataset, 42);
  for (std::size_t j = 0; j < 4; ++j) {
    double sum = 0;
    double squares = 0;
    for (std::size_t i = 0; i < data.train.rows(); ++i) sum += data.train.features(i, j);
    const double mean = sum / static_cast<double>(data.train.rows());
    for (std::size_t i = 0; i < data.train.rows(); ++i) squares += std::pow(data.train.features(i, j) - mean, 2);
    CHECK(mean == Approx(0.0).margin(1e-6));
    CHECK(std::sqrt(squares / static_cast<double>(data.train.rows())) == Approx(1.0).epsilon(1e-5));
  }
  // The test rows were scaled with the training statistics, so their mean is not exactly zero.
  double test_sum = 0;
  for (std::size_t i = 0; i < data.test.rows(); ++i) test_sum += data.test.features(i, 0);
  CHECK(std::abs(test_sum / static_cast<double>(data.test.rows())) > 1e-4);
}

TEST_CASE("the test rows kept unscaled standardize to the test split bit for bit, and are kept only on request") {
  const auto data = prepare_data(iris(), 42, {true});
  REQUIRE(data.unscaled_test_features.rows == data.test.rows());
  CHECK(data.unscaled_test_features(0, 0) != data.test.features(0, 0));
  CHECK(data.unscaled_test_features(0, 0) > 4.0f);  // a sepal length in cm, as in the file
  auto standardized = data.unscaled_test_features;
  bnrun::data::standardize(standardized, data.standardizer);
  CHECK(standardized.values == data.test.features.values);
  CHECK(prepare_data(iris(), 42).unscaled_test_features.size() == 0);
}

TEST_CASE("a constant feature is left unscaled instead of dividing by zero") {
  TemporaryCsv csv("a,b,y\n1,5,0\n2,5,1\n3,5,0\n4,5,1\n5,5,0\n6,5,1\n", "constant");
  const auto data = prepare_data(single_file(csv, 0.3), 1);
  for (std::size_t i = 0; i < data.train.rows(); ++i) CHECK(data.train.features(i, 1) == 0.0f);
}

TEST_CASE("integer labels are ordered numerically, not as text") {
  TemporaryCsv csv("x,y\n1,10\n2,2\n3,10\n4,2\n5,1\n6,1\n7,10\n8,2\n9,1\n", "numeric_labels");
  DatasetConfig dataset = single_file(csv, 0.3);
  dataset.stratify = true;
  CHECK(prepare_data(dataset, 1).class_names == std::vector<std::string>{"1", "2", "10"});
}

TEST_CASE("a target with one class is rejected") {
  TemporaryCsv csv("x,y\n1,a\n2,a\n3,a\n", "one_class");
  CHECK_THROWS_WITH(prepare_data(single_file(csv, 0.2), 1), Contains("column 'y' has only one class (\"a\")"));
}

TEST_CASE("a test-file class that training never saw is rejected with its line") {
  TemporaryCsv train("x,y\n1,a\n2,b\n3,a\n4,b\n", "train_two");
  TemporaryCsv test("x,y\n1,a\n2,c\n", "test_three");
  DatasetConfig dataset;
  dataset.train_path = train.path;
  dataset.test_path = test.path;
  dataset.target = "y";
  CHECK_THROWS_WITH(prepare_data(dataset, 1),
                    test.path + ":3: class \"c\" of column 'y' does not occur in the training data");
}

namespace {

DatasetConfig iris_fold(std::size_t folds, std::size_t fold, bool stratify) {
  auto dataset = iris();
  dataset.validation_fraction = 0.0;
  dataset.standardize = bnrun::data::Standardize::none;
  dataset.folds = folds;
  dataset.fold = fold;
  dataset.stratify_folds = stratify;
  return dataset;
}

// A row's identity in iris: its four features as text (iris has two pairs of identical rows; a multiset is kept).
std::multiset<std::string> rows_of(const bnrun::nn::Matrix<float>& features) {
  std::multiset<std::string> rows;
  for (std::size_t i = 0; i < features.rows; ++i)
    rows.insert(std::to_string(features(i, 0)) + "," + std::to_string(features(i, 1)) + "," +
                std::to_string(features(i, 2)) + "," + std::to_string(features(i, 3)));
  return rows;
}

}  // namespace

TEST_CASE("k-fold cross-validation tests every row exactly once over the folds, and trains on the rest", "[cv]") {
  for (const bool stratify : {false, true}) {
    std::multiset<std::string> tested;
    for (std::size_t fold = 1; fold <= 7; ++fold) {
      const auto data = prepare_data(iris_fold(7, fold, stratify), 3);
      // 150 = 7·21 + 3: the first three folds have 22 rows (unstratified); stratified, within one of 150/7.
      CHECK(data.test.rows() >= 21);
      CHECK(data.test.rows() <= 22);
      if (!stratify) CHECK(data.test.rows() == (fold <= 3 ? 22u : 21u));
      CHECK(data.train.rows() == 150 - data.test.rows());
      const auto test_rows = rows_of(data.test.features);
      tested.insert(test_rows.begin(), test_rows.end());
      auto all = rows_of(data.train.features);
      all.insert(test_rows.begin(), test_rows.end());
      CHECK(all.size() == 150);
      if (stratify)
        for (std::int32_t k = 0; k < 3; ++k) {  // 50 rows of each class over 7 folds: 7 or 8 per fold
          CHECK(count(data.test.labels, k) >= 7);
          CHECK(count(data.test.labels, k) <= 8);
        }
    }
    CHECK(tested.size() == 150);
    auto all = rows_of(prepare_data(iris_fold(7, 1, stratify), 3).train.features);
    const auto first = rows_of(prepare_data(iris_fold(7, 1, stratify), 3).test.features);
    all.insert(first.begin(), first.end());
    CHECK(tested == all);
  }
}

TEST_CASE("the folds are the same for the same seed and differ for another, and a fold out of range is refused",
          "[cv]") {
  const auto a = prepare_data(iris_fold(5, 2, true), 1);
  CHECK(a.test.features.values == prepare_data(iris_fold(5, 2, true), 1).test.features.values);
  CHECK(a.test.features.values != prepare_data(iris_fold(5, 2, true), 2).test.features.values);
  auto fixed = iris_fold(5, 2, true);
  fixed.split_random_state = 1;
  CHECK(a.test.features.values == prepare_data(fixed, 99).test.features.values);
  CHECK_THROWS_WITH(prepare_data(iris_fold(5, 0, true), 1), Contains("dataset.cross_validation.fold"));
  CHECK_THROWS_WITH(prepare_data(iris_fold(151, 1, false), 1), Contains("151 cross-validation folds need"));
}
