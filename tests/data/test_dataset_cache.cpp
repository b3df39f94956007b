// A study's data read once and shared by its runs (data/dataset_cache.h).
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "data/dataset.h"
#include "data/dataset_cache.h"

using bnrun::data::DatasetCache;
using bnrun::data::DatasetConfig;
using bnrun::data::prepare_data;
using bnrun::data::PreparedData;
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

// A copy of iris that a test may change, removed at the end.
struct IrisCopy {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("bnrun_test_cache_" + std::to_string(::getpid()) + ".csv");
  IrisCopy() { std::filesystem::copy_file(iris_csv, path, std::filesystem::copy_options::overwrite_existing); }
  ~IrisCopy() { std::filesystem::remove(path); }
  DatasetConfig dataset() const {
    DatasetConfig copy = iris();
    copy.path = path.string();
    return copy;
  }
};

bool same_split(const bnrun::data::Split& a, const bnrun::data::Split& b) {
  return a.features.rows == b.features.rows && a.features.cols == b.features.cols &&
         a.features.values == b.features.values && a.labels == b.labels;
}

// Every number and name the run would train and report on, bit for bit.
bool same_data(const PreparedData& a, const PreparedData& b) {
  return a.feature_names == b.feature_names && a.class_names == b.class_names && same_split(a.train, b.train) &&
         same_split(a.validation, b.validation) && same_split(a.test, b.test) &&
         a.standardizer.mean == b.standardizer.mean && a.standardizer.scale == b.standardizer.scale &&
         a.unscaled_test_features.values == b.unscaled_test_features.values && a.files == b.files;
}

}  // namespace

TEST_CASE("a study's runs read the data file once and each gets what prepare_data gives it alone") {
  DatasetCache cache;
  for (int run = 0; run < 5; ++run) cache.expect_run(iris());
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const bool keep_unscaled_test = seed % 2 == 0;
    CHECK(same_data(cache.prepare(iris(), seed, keep_unscaled_test), prepare_data(iris(), seed, {keep_unscaled_test})));
  }
  CHECK(cache.datasets_read() == 1);
}

TEST_CASE("runs trained at once share one read of their data") {
  DatasetCache cache;
  constexpr int runs = 8;
  for (int run = 0; run < runs; ++run) cache.expect_run(iris());
  std::vector<PreparedData> shared(runs);
  std::vector<std::thread> threads;
  for (int run = 0; run < runs; ++run)
    threads.emplace_back([&, run] { shared[run] = cache.prepare(iris(), static_cast<std::uint64_t>(run), false); });
  for (auto& thread : threads) thread.join();
  CHECK(cache.datasets_read() == 1);
  for (int run = 0; run < runs; ++run)
    CHECK(same_data(shared[run], prepare_data(iris(), static_cast<std::uint64_t>(run))));
}

TEST_CASE("runs that split and scale the same columns differently share a read; other columns are read apart") {
  DatasetCache cache;
  auto stratified = iris();
  stratified.stratify = true;
  stratified.test_fraction = 0.3;
  stratified.standardize = bnrun::data::Standardize::none;
  auto fewer_columns = iris();
  fewer_columns.features = {"petal_length", "petal_width"};
  for (const auto& dataset : {iris(), stratified, fewer_columns}) cache.expect_run(dataset);
  CHECK(same_data(cache.prepare(iris(), 3, false), prepare_data(iris(), 3)));
  CHECK(same_data(cache.prepare(stratified, 3, false), prepare_data(stratified, 3)));
  CHECK(cache.datasets_read() == 1);
  CHECK(same_data(cache.prepare(fewer_columns, 3, false), prepare_data(fewer_columns, 3)));
  CHECK(cache.datasets_read() == 2);
}

TEST_CASE("a study's checks read the data the runs then use, and --resume compares the identity they read") {
  DatasetCache cache;
  cache.expect_run(iris());
  const auto columns = cache.columns(iris());
  CHECK(columns.feature_names.size() == 4);
  CHECK(columns.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
  const auto files = cache.files(iris());
  REQUIRE(files.size() == 1);
  CHECK(files.front().identity == bnrun::data::identify_data_files(iris()).front().identity);
  cache.prepare(iris(), 42, false);
  CHECK(cache.datasets_read() == 1);
}

TEST_CASE("a dataset that cannot be read fails every run with the same message, read once") {
  DatasetCache cache;
  auto missing = iris();
  missing.path = "/nonexistent/iris.csv";
  for (int run = 0; run < 3; ++run) cache.expect_run(missing);
  std::string first_message;
  try {
    prepare_data(missing, 1);
  } catch (const bnrun::UserError& error) {
    first_message = error.what();
  }
  REQUIRE_THAT(first_message, Contains("cannot open file"));
  for (std::uint64_t seed = 1; seed <= 3; ++seed) CHECK_THROWS_WITH(cache.prepare(missing, seed, false), first_message);
  CHECK(cache.datasets_read() == 1);
}

TEST_CASE("a data file rewritten after a study read it fails the runs that start later, naming the file") {
  const IrisCopy copy;
  DatasetCache cache;
  for (int run = 0; run < 3; ++run) cache.expect_run(copy.dataset());
  CHECK_NOTHROW(cache.prepare(copy.dataset(), 1, false));
  std::ofstream(copy.path, std::ios::app) << "5.0,3.0,1.5,0.2,setosa\n";
  CHECK_THROWS_WITH(
      cache.prepare(copy.dataset(), 2, false),
      Contains(copy.path.string() + ": changed while bnrun was using it (3858 bytes when read, 3881 now)"));
  CHECK_THROWS_WITH(cache.prepare(copy.dataset(), 3, false), Contains("restore it and --resume"));
  CHECK(cache.datasets_read() == 1);
}

TEST_CASE("a data file replaced by another after a study read it fails the runs that start later") {
  const IrisCopy copy;
  DatasetCache cache;
  for (int run = 0; run < 2; ++run) cache.expect_run(copy.dataset());
  CHECK_NOTHROW(cache.prepare(copy.dataset(), 1, false));
  // Same size and contents, but a new file renamed over the old one: what an editor or a regenerating script does.
  const auto replacement = copy.path.string() + ".new";
  std::filesystem::copy_file(iris_csv, replacement);
  std::filesystem::rename(replacement, copy.path);
  CHECK_THROWS_WITH(cache.prepare(copy.dataset(), 2, false), Contains("another file was put in its place"));
}
