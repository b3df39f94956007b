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
