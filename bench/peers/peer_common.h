// What the C++ peers of bnrun's peer benchmark share (bench/peer_bench.cpp runs them): the command line, reading
// a labeled CSV, standardizing it the way bnrun does, and the one JSON object each peer prints. A peer program
// (dlib_mlp.cpp, mlpack_mlp.cpp) only builds, trains and evaluates its network.
//
// Contract with the driver: a peer reads `--train` and `--test` (label first, then the features), trains the
// `--arm` (bn or no_bn) for `--epochs`, times only the epochs (not reading, standardizing or evaluating), and
// prints one JSON object on stdout; errors go to stderr with a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace peers {

struct PeerArguments {
  std::string train_path;
  std::string test_path;
  std::string arm = "bn";
  int epochs = 2;
  std::size_t batch_size = 128;
  std::uint32_t seed = 42;
  std::size_t train_rows = 0;  // read only the first N training rows; 0: all

  bool batch_norm() const { return arm == "bn"; }
};

// Adds the options every peer takes; a peer adds its own configuration options after.
void add_peer_options(CLI::App& app, PeerArguments& arguments);

// Samples in row-major order, features[row * columns + column]: one contiguous sample per row, which is also
// Armadillo's column-major layout of a columns × rows matrix.
struct LabeledData {
  std::vector<float> features;
  std::vector<std::uint32_t> labels;
  std::size_t rows = 0;
  std::size_t columns = 0;
};

// A CSV with a header row, the integer class label in the first column and numeric features after it.
LabeledData read_labeled_csv(const std::string& path, std::size_t max_rows);

// Standardizes both splits with the training rows' per-column mean and population standard deviation, in double
// precision; a constant column keeps scale 1 (bnrun's rule, lib/data/dataset.cpp).
void standardize_with_training_statistics(LabeledData& train, LabeledData& test);

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start);

struct PeerReport {
  std::string program;
  std::string version;
  PeerArguments arguments;
  std::vector<double> epoch_seconds;
  std::size_t train_rows = 0;
  std::size_t test_rows = 0;
  double test_accuracy = 0.0;
  std::string libraries;      // the libraries it was built with beside its own, with versions; may be empty
  std::string configuration;  // the peer's own settings, as text
};

// Prints the report as one JSON object, with the BLAS libraries this process has mapped and OpenBLAS's own
// description of its version and the core it chose.
void print_report(const PeerReport& report);

}  // namespace peers
