// dataset.split {"method": "sklearn"}: the rows scikit-learn's train_test_split chooses, checked against the rows
// scikit-learn 1.2 chose (scripts/make_golden_sklearn_splits.py → tests/golden/sklearn_splits.json), and
// standardize "all_rows".
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/numpy_random.h"
#include "data/dataset.h"
#include "data/sklearn_split.h"

using bnrun::NumpyRandomState;
using bnrun::data::DatasetConfig;
using bnrun::data::prepare_data;
using bnrun::data::SplitMethod;
using bnrun::data::Standardize;
using Catch::Matchers::Contains;

namespace {

nlohmann::json golden_splits() {
  std::ifstream in(std::string(BNRUN_SOURCE_DIR) + "/tests/golden/sklearn_splits.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

// A CSV whose one feature is the row's index, so a split's rows can be read off its features.
struct IndexedCsv {
  std::string path;
  IndexedCsv(std::size_t rows, const std::vector<int>& labels, const std::string& name)
      : path("/tmp/bnrun_test_sklearn_" + name + ".csv") {
    std::ofstream out(path);
    out << "index,label\n";
    for (std::size_t i = 0; i < rows; ++i) out << i << "," << (labels.empty() ? static_cast<int>(i % 2) : labels[i]) << "\n";
  }
  ~IndexedCsv() { std::remove(path.c_str()); }
};

std::vector<std::size_t> indices_of(const bnrun::nn::Matrix<float>& features) {
  std::vector<std::size_t> result;
  for (std::size_t i = 0; i < features.rows; ++i) result.push_back(static_cast<std::size_t>(features(i, 0)));
  return result;
}

}  // namespace

TEST_CASE("numpy's RandomState(42).permutation(10) is the one numpy gives") {
  // np.random.RandomState(42).permutation(10)
  const std::vector<std::size_t> numpy = {8, 1, 5, 0, 7, 2, 9, 4, 3, 6};
  CHECK(NumpyRandomState(42).permutation(10) == numpy);
}

TEST_CASE("the sklearn split chooses scikit-learn's training and test rows, in its order, for every golden case") {
  const auto golden = golden_splits();
  for (const auto& c : golden["cases"]) {
    const std::size_t rows = c["rows"];
    const bool stratify = !c["labels"].is_null();
    std::vector<std::int32_t> labels(rows, 0);
    std::size_t classes = 1;
    if (stratify) {
      labels = c["labels"].get<std::vector<std::int32_t>>();
      classes = static_cast<std::size_t>(*std::max_element(labels.begin(), labels.end()) + 1);
    }
    INFO("rows " << rows << ", test_fraction " << c["test_fraction"] << ", random_state " << c["random_state"]
                 << (stratify ? ", stratified" : "") << (c["shuffle"].get<bool>() ? "" : ", not shuffled"));
    const auto split = bnrun::data::sklearn_train_test_split(rows, c["test_fraction"], c["random_state"],
                                                             c["shuffle"], stratify, labels, classes);
    CHECK(split.train == c["train"].get<std::vector<std::size_t>>());
    CHECK(split.test == c["test"].get<std::vector<std::size_t>>());
  }
}

TEST_CASE("a run with the sklearn split tests on scikit-learn's rows and validates on the last of its training rows") {
  // The seed notebook's split of iris: train_test_split(range(150), test_size=0.2, random_state=42).
  const auto golden = golden_splits();
  const auto& notebook = golden["cases"][1];
  REQUIRE(notebook["rows"] == 150);
  REQUIRE(notebook["random_state"] == 42);
  const IndexedCsv csv(150, {}, "notebook");
  DatasetConfig dataset;
  dataset.path = csv.path;
  dataset.target = "label";
  dataset.standardize = Standardize::none;
  dataset.validation_fraction = 0.1;
  dataset.split_method = SplitMethod::sklearn;
  dataset.split_random_state = 42;
  for (const std::uint64_t seed : {1, 2}) {  // a fixed random_state: the same rows whatever the run's seed
    const auto data = prepare_data(dataset, seed);
    CHECK(indices_of(data.test.features) == notebook["test"].get<std::vector<std::size_t>>());
    // Keras' validation_split=0.1 on X_train: its last 120 − ⌊120 · 0.9⌋ = 12 rows.
    auto train = notebook["train"].get<std::vector<std::size_t>>();
    const std::vector<std::size_t> validation(train.end() - 12, train.end());
    train.resize(train.size() - 12);
    CHECK(indices_of(data.validation.features) == validation);
    CHECK(indices_of(data.train.features) == train);
  }
}

TEST_CASE("without a random_state the sklearn split draws with the run's seed, which must fit numpy's 32 bits") {
  const IndexedCsv csv(40, {}, "seeded");
  DatasetConfig dataset;
  dataset.path = csv.path;
  dataset.target = "label";
  dataset.standardize = Standardize::none;
  dataset.split_method = SplitMethod::sklearn;
  const auto expected = bnrun::data::sklearn_train_test_split(40, 0.2, 7, true, false, {}, 1);
  CHECK(indices_of(prepare_data(dataset, 7).test.features) == expected.test);
  CHECK_THROWS_WITH(prepare_data(dataset, 1ULL << 32),
                    Contains("dataset.split.random_state") && Contains("below 2^32"));
}

TEST_CASE("a stratified sklearn split refuses a class of one row and a test set smaller than the classes") {
  std::vector<std::int32_t> labels(20, 0);
  labels[19] = 1;
  CHECK_THROWS_WITH(bnrun::data::sklearn_train_test_split(20, 0.2, 0, true, true, labels, 2),
                    Contains("only 1 row"));
  std::vector<std::int32_t> five(10);
  for (std::size_t i = 0; i < five.size(); ++i) five[i] = static_cast<std::int32_t>(i % 5);
  CHECK_THROWS_WITH(bnrun::data::sklearn_train_test_split(10, 0.2, 0, true, true, five, 5),
                    Contains("test set (2 rows)"));
  CHECK_THROWS_WITH(bnrun::data::sklearn_train_test_split(10, 0.2, 0, false, true, five, 5),
                    Contains("\"shuffle\": true"));
}

TEST_CASE("standardize all_rows fits the scaler on every row, test rows included; training_rows on training only") {
  const IndexedCsv csv(100, {}, "scaling");
  DatasetConfig dataset;
  dataset.path = csv.path;
  dataset.target = "label";
  dataset.split_method = SplitMethod::sklearn;
  dataset.split_random_state = 42;
  dataset.standardize = Standardize::all_rows;
  const auto all = prepare_data(dataset, 1);
  // Indices 0 … 99: mean 49.5, population deviation sqrt((100² − 1) / 12).
  CHECK(all.standardizer.mean[0] == Approx(49.5));
  CHECK(all.standardizer.scale[0] == Approx(std::sqrt((100.0 * 100.0 - 1.0) / 12.0)));
  dataset.standardize = Standardize::training_rows;
  const auto train_only = prepare_data(dataset, 1);
  const auto& train = train_only.train.features;
  double sum = 0.0;
  for (std::size_t i = 0; i < train.rows; ++i) sum += train(i, 0);
  CHECK(std::abs(sum / static_cast<double>(train.rows)) < 1e-5);  // standardized training rows have mean 0
  CHECK(train_only.standardizer.mean[0] != Approx(49.5).epsilon(1e-6));
}
