#include "peer_common.h"

#include <dlfcn.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string_view>

namespace peers {

void add_peer_options(CLI::App& app, PeerArguments& arguments) {
  app.add_option("--train", arguments.train_path, "training CSV (label first)")->required();
  app.add_option("--test", arguments.test_path, "test CSV (label first)")->required();
  app.add_option("--arm", arguments.arm, "bn, or no_bn: the same network without its BatchNorm layers")
      ->check(CLI::IsMember({"bn", "no_bn"}));
  app.add_option("--epochs", arguments.epochs)->check(CLI::PositiveNumber);
  app.add_option("--batch-size", arguments.batch_size)->check(CLI::Range(2, 1 << 20));
  app.add_option("--seed", arguments.seed);
  app.add_option("--train-rows", arguments.train_rows, "read only the first N training rows (0: all)");
}

namespace {

std::string read_whole_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// Parses one number from `cell` or throws naming the file and line.
template <typename Number>
Number parse_cell(std::string_view cell, const std::string& path, std::size_t line) {
  Number value{};
  const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (error != std::errc() || end != cell.data() + cell.size())
    throw std::runtime_error(path + ":" + std::to_string(line) + ": not a number: '" + std::string(cell) + "'");
  return value;
}

}  // namespace

LabeledData read_labeled_csv(const std::string& path, std::size_t max_rows) {
  const std::string text = read_whole_file(path);
  std::string_view rest = text;
  auto next_line = [&rest]() {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  const std::string_view header = next_line();
  LabeledData data;
  data.columns = static_cast<std::size_t>(std::count(header.begin(), header.end(), ','));
  if (data.columns == 0) throw std::runtime_error(path + ": needs a label column and at least one feature");
  std::size_t line_number = 1;
  while (!rest.empty() && (max_rows == 0 || data.rows < max_rows)) {
    const std::string_view line = next_line();
    ++line_number;
    if (line.empty()) continue;
    std::size_t start = 0;
    for (std::size_t column = 0; column <= data.columns; ++column) {
      const std::size_t comma = std::min(line.find(',', start), line.size());
      if (start > line.size()) throw std::runtime_error(path + ":" + std::to_string(line_number) + ": too few cells");
      const std::string_view cell = line.substr(start, comma - start);
      if (column == 0)
        data.labels.push_back(parse_cell<std::uint32_t>(cell, path, line_number));
      else
        data.features.push_back(parse_cell<float>(cell, path, line_number));
      start = comma + 1;
    }
    if (start <= line.size()) throw std::runtime_error(path + ":" + std::to_string(line_number) + ": too many cells");
    ++data.rows;
  }
  return data;
}

void standardize_with_training_statistics(LabeledData& train, LabeledData& test) {
  if (train.columns != test.columns) throw std::runtime_error("training and test files have different columns");
  const std::size_t columns = train.columns;
  std::vector<double> mean(columns, 0.0), squares(columns, 0.0);
  for (std::size_t row = 0; row < train.rows; ++row)
    for (std::size_t column = 0; column < columns; ++column) mean[column] += train.features[row * columns + column];
  for (double& value : mean) value /= static_cast<double>(train.rows);
  for (std::size_t row = 0; row < train.rows; ++row)
    for (std::size_t column = 0; column < columns; ++column) {
      const double centered = train.features[row * columns + column] - mean[column];
      squares[column] += centered * centered;
    }
  std::vector<double> scale(columns);
  for (std::size_t column = 0; column < columns; ++column) {
    const double deviation = std::sqrt(squares[column] / static_cast<double>(train.rows));
    scale[column] = deviation > 1e-12 * std::max(1.0, std::abs(mean[column])) ? deviation : 1.0;
  }
  for (LabeledData* data : {&train, &test})
    for (std::size_t row = 0; row < data->rows; ++row)
      for (std::size_t column = 0; column < columns; ++column) {
        float& value = data->features[row * columns + column];
        value = static_cast<float>((value - mean[column]) / scale[column]);
      }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

namespace {

// The paths of the BLAS libraries in /proc/self/maps: which build the dynamic loader really chose.
std::vector<std::string> mapped_blas_libraries() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> paths;
  for (std::string line; std::getline(maps, line);) {
    const std::size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("libopenblas") != std::string::npos || path.find("libblas") != std::string::npos) paths.insert(path);
  }
  return {paths.begin(), paths.end()};
}

// OpenBLAS's description of itself (version, build options, the core it chose), looked up at run time because a
// peer may reach OpenBLAS only through libblas.so.3.
std::string openblas_description() {
  using TextFunction = char* (*)();
  const auto config = reinterpret_cast<TextFunction>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  const auto core = reinterpret_cast<TextFunction>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!config || !core) return "";
  return std::string(config()) + ", core " + core();
}

}  // namespace

void print_report(const PeerReport& report) {
  double train_seconds = 0.0;
  for (const double seconds : report.epoch_seconds) train_seconds += seconds;
  const nlohmann::json json = {
      {"program", report.program},
      {"version", report.version},
      {"arm", report.arguments.arm},
      {"epochs", report.arguments.epochs},
      {"train_rows", report.train_rows},
      {"epoch_seconds", report.epoch_seconds},
      {"samples_per_second",
       static_cast<double>(report.train_rows) * static_cast<double>(report.epoch_seconds.size()) / train_seconds},
      {"test_rows", report.test_rows},
      {"test_accuracy", report.test_accuracy},
      {"blas_libraries", mapped_blas_libraries()},
      {"openblas", openblas_description()},
      {"libraries", report.libraries},
      {"configuration", report.configuration}};
  std::cout << json.dump() << std::endl;
}

}  // namespace peers
