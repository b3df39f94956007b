// bnrun's benchmark: one command that measures, in one run, everything the speed targets are stated in
// (docs/BENCHMARKS.md), with the baselines (OpenBLAS sgemm, the peers, pandas) measured in the same run, because
// these machines are shared and noisy and only ratios taken side by side mean anything. Every figure is measured
// once per round, the rounds interleaved, and reported as the median (with best, worst and spread).
//
//   build/release/bnrun_bench              the training targets: share of the machine limit, BN cost, scaling
//   build/release/bnrun_bench --load       ... plus bnrun beside a CPU hog and two bnruns at once
//   build/release/bnrun_bench --full       ... plus three full 10-epoch Fashion-MNIST runs: accuracy, peak RSS
//   build/release/bnrun_bench --scaling    samples/s against batch size and width, load time against rows
//   build/release/bnrun_bench --peers      bnrun against PyTorch, dlib and mlpack at their best (peer_bench.h)
//   build/release/bnrun_bench --layers     each normalization layer in BatchNorm's place against BatchNorm: the
//                                          layers' forward + backward time per batch, and samples/s of training
//
// The training workload is configs/fashion_mnist_bn.json's network (784-256-128-10 with BatchNorm, Adam,
// batch 128) on synthetic data of Fashion-MNIST's shape (--layers: with each arm's layer in BatchNorm's place), so
// it needs no data files; the load test and the full runs use data/fashion-mnist/ (scripts/fashion_mnist.sh makes
// it) through the bnrun binary, as a user runs it.
#include <cblas.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/cpu.h"
#include "core/files.h"
#include "core/json_text.h"
#include "results/codec.h"
#include "config/load.h"
#include "experiment/arms.h"
#include "core/random.h"
#include "csv_bench.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "nn/layer_kinds.h"
#include "nn/matrix.h"
#include "peer_bench.h"
#include "report/table.h"
#include "train/trainer.h"

namespace {

using Clock = std::chrono::steady_clock;
using bnrun::experiment::ArmSpec;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string source_path(const std::string& relative) {
  return std::string(BNRUN_SOURCE_DIR) + "/" + relative;
}

// ---------------------------------------------------------------------------------------------------------------
// The machine's limit: OpenBLAS sgemm with all its threads, best of several calls.

double sgemm_gflops(std::size_t m, std::size_t k, std::size_t n, int threads, int repeats) {
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
  openblas_set_num_threads(threads);
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), 1.0f, a.data(), static_cast<int>(k), b.data(), static_cast<int>(n), 0.0f, c.data(),
                static_cast<int>(n));
    best = std::min(best, seconds_since(start));
  }
  openblas_set_num_threads(1);  // back to what bnrun's kernels expect
  return 2.0 * static_cast<double>(m * k * n) / best / 1e9;
}

// ---------------------------------------------------------------------------------------------------------------
// Training throughput on synthetic data.

bnrun::data::PreparedData synthetic_data(std::size_t rows, std::size_t features, std::size_t classes) {
  bnrun::data::PreparedData data;
  bnrun::Random random(7);
  for (std::size_t j = 0; j < features; ++j) data.feature_names.push_back(fmt::format("p{}", j));
  for (std::size_t k = 0; k < classes; ++k) data.class_names.push_back(std::to_string(k));
  auto fill = [&](bnrun::data::Split& split, std::size_t count) {
    split.features.reshape(count, features);
    for (float& v : split.features.values) v = static_cast<float>(random.normal());
    split.labels.resize(count);
    for (auto& label : split.labels) label = static_cast<std::int32_t>(random.below(classes));
  };
  fill(data.train, rows);
  fill(data.test, 256);
  return data;
}

struct Workload {
  bnrun::config::Config config;
  std::size_t features = 784;
};

// How bnrun_bench reads a CSV: the label column, every other column a feature, with `threads` threads.
bnrun::data::CsvOptions csv_options(int threads) {
  bnrun::data::CsvOptions options;
  options.target_column = "label";
  options.compute = bnrun::kernels::compute_with_threads(threads);
  return options;
}

// Samples per second of the second of two epochs (the first warms caches, allocations and thread pools).
double training_throughput(const Workload& workload, const bnrun::data::PreparedData& data, const ArmSpec& variant,
                           int threads, bnrun::kernels::MatmulBackend backend) {
  bnrun::kernels::Compute compute = bnrun::kernels::compute_with_threads(threads);
  compute.matmul = backend;
  bnrun::train::TrainingRecipe recipe{bnrun::config::model_spec(workload.config, workload.features,
                                                                data.class_names.size(), variant),
                                      workload.config.training, bnrun::config::effective_loss(workload.config)};
  recipe.training.epochs = 2;
  const auto result = bnrun::train::train_and_test(compute, recipe, data);
  return static_cast<double>(data.train.rows()) / result.history.back().seconds;
}

// 2·Σ(inputs × units) per sample forward; backward costs twice that (the brief's 1.41 MFLOP for 784-256-128-10).
double flops_per_sample(const bnrun::config::Config& config, std::size_t features) {
  double forward = 0.0;
  std::size_t width = features;
  for (const auto& layer : config.layers)
    if (const auto* dense = std::get_if<bnrun::nn::DenseSpec>(&layer)) {
      forward += 2.0 * static_cast<double>(width * dense->units);
      width = dense->units;
    }
  return 3.0 * forward;
}

// ---------------------------------------------------------------------------------------------------------------
// Summaries.

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures over interleaved rounds.

// One figure measured once per round.
struct Series {
  std::vector<double> values;
  double median_value() const { return median(values); }
  double best() const { return *std::max_element(values.begin(), values.end()); }
  double worst() const { return *std::min_element(values.begin(), values.end()); }
  // max / min across the rounds: 1.00 for a perfectly steady figure.
  double spread() const { return best() / worst(); }
};

// A ratio taken within each round (both sides measured minutes apart at most), then summarized.
Series per_round(const Series& numerator, const Series& denominator) {
  Series ratio;
  for (std::size_t r = 0; r < numerator.values.size(); ++r)
    ratio.values.push_back(numerator.values[r] / denominator.values[r]);
  return ratio;
}

// ---------------------------------------------------------------------------------------------------------------
// Output.

struct Row {
  std::string what;
  std::string measured;
  std::string comparison;
  std::string target;
  std::string verdict;
};

void print_rows(const std::vector<Row>& rows) {
  std::size_t widths[4] = {0, 0, 0, 0};
  for (const auto& row : rows) {
    widths[0] = std::max(widths[0], row.what.size());
    widths[1] = std::max(widths[1], row.measured.size());
    widths[2] = std::max(widths[2], row.comparison.size());
    widths[3] = std::max(widths[3], row.target.size());
  }
  for (const auto& row : rows) {
    std::string line = fmt::format("{:<{}}   {:>{}}   {:<{}}   {:<{}}   {}", row.what, widths[0], row.measured,
                                   widths[1], row.comparison, widths[2], row.target, widths[3], row.verdict);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  }
  std::fflush(stdout);
}

std::string verdict(bool met) {
  return met ? "met" : "MISSED";
}
std::string thousands(double value) {
  return bnrun::report::with_thousands(static_cast<std::size_t>(value + 0.5));
}
// "median 41,200 (best 43,000, worst 39,900)"
std::string summary_of(const Series& series, const std::string& unit) {
  return fmt::format("{} {}", thousands(series.median_value()), unit);
}
std::string range_of(const Series& series) {
  return fmt::format("best {}, worst {}, spread {:.2f}x", thousands(series.best()), thousands(series.worst()),
                     series.spread());
}

void progress(const std::string& what) {
  fmt::print(stderr, "bench: {}\n", what);
}

// What the figures ran on: the CPU, the level bnrun's own fast paths use and OpenBLAS' kernels.
void print_machine(int threads) {
  fmt::print("CPU: {} ({} threads used); bnrun fast paths: {}; {}\n\n", bnrun::cpu::processor_name(), threads,
             bnrun::cpu::level_name(bnrun::cpu::active_level()),
             bnrun::kernels::matmul_backend_description(bnrun::kernels::MatmulBackend::blas));
}

// ---------------------------------------------------------------------------------------------------------------
// The runs.

struct Options {
  bool full = false;
  bool scaling = false;
  bool load = false;
  bool peers = false;
  bool csv_tables = false;
  bool layers = false;
  int rounds = 0;  // 0: the mode's own (5 for the targets, 3 for the peers and the CSV tables)
  int epochs = 2;
  std::size_t rows = 25600;
  std::string csv = source_path("data/fashion-mnist/train.csv");
  std::string python = "/usr/bin/python3";
  std::string json_path;
};

// The targets of issue 13, each a ratio of figures measured in the same rounds.
void main_bench(const Options& options, const Workload& workload, nlohmann::ordered_json& report) {
  const auto data = synthetic_data(options.rows, workload.features, 10);
  const int threads = bnrun::kernels::available_threads();
  using bnrun::kernels::MatmulBackend;
  const double flops = flops_per_sample(workload.config, workload.features);

  // Every round measures every figure, in an order that rotates, so that a slow minute of the machine falls on
  // a different figure each round instead of always on the same one.
  Series blas_one, blas_all, blas_layer, bn, no_bn, bn_one_thread;
  const std::vector<std::function<void()>> measurements = {
      [&] { blas_one.values.push_back(sgemm_gflops(2048, 2048, 2048, 1, 3)); },
      [&] {
        blas_all.values.push_back(sgemm_gflops(2048, 2048, 2048, threads, 3));
        blas_layer.values.push_back(sgemm_gflops(128, 784, 256, threads, 200));
      },
      [&] {
        bn.values.push_back(training_throughput(workload, data, bnrun::experiment::builtin_arm("bn"), threads,
                                                MatmulBackend::blas));
      },
      [&] {
        no_bn.values.push_back(training_throughput(workload, data, bnrun::experiment::builtin_arm("no_bn"), threads,
                                                   MatmulBackend::blas));
      },
      [&] {
        bn_one_thread.values.push_back(
            training_throughput(workload, data, bnrun::experiment::builtin_arm("bn"), 1, MatmulBackend::blas));
      },
  };
  for (int round = 0; round < options.rounds; ++round) {
    progress(fmt::format("round {}/{}", round + 1, options.rounds));
    for (std::size_t i = 0; i < measurements.size(); ++i)
      measurements[(i + static_cast<std::size_t>(round)) % measurements.size()]();
  }

  // The machine's limit: the best sgemm rate OpenBLAS reached with all the threads, spent entirely on the
  // network's FLOPs.
  const double best_sgemm = std::max(blas_all.best(), blas_layer.best());
  const double limit = best_sgemm * 1e9 / flops;
  const Series blas_scaling = per_round(blas_all, blas_one);
  const Series thread_scaling = per_round(bn, bn_one_thread);
  const Series bn_cost = per_round(no_bn, bn);
  const double scaling_target = 0.9 * blas_scaling.median_value();
  const double limit_share = bn.median_value() / limit;
  const double steadiest = bn.spread();

  print_machine(threads);
  std::vector<Row> rows;
  rows.push_back({fmt::format("what ({} threads, {} rounds, medians)", threads, options.rounds), "measured",
                  "compared with", "target", ""});
  rows.push_back({"sgemm, OpenBLAS, 2048^3, 1 thread", fmt::format("{:.0f} GFLOP/s", blas_one.median_value()),
                  fmt::format("best {:.0f}", blas_one.best()), "", ""});
  rows.push_back({fmt::format("sgemm, OpenBLAS, 2048^3, {} threads", threads),
                  fmt::format("{:.0f} GFLOP/s", blas_all.median_value()),
                  fmt::format("best {:.0f}; OpenBLAS scaling {:.2f}x", blas_all.best(), blas_scaling.median_value()),
                  "", ""});
  rows.push_back({fmt::format("sgemm, OpenBLAS, 128x784x256, {} threads", threads),
                  fmt::format("{:.0f} GFLOP/s", blas_layer.median_value()), fmt::format("best {:.0f}", blas_layer.best()),
                  "", ""});
  rows.push_back({"machine limit for this network", thousands(limit) + " samples/s",
                  fmt::format("best sgemm {:.0f} GFLOP/s / {:.2f} MFLOP per sample", best_sgemm, flops / 1e6), "", ""});
  rows.push_back({"bnrun training, bn", summary_of(bn, "samples/s"), range_of(bn), "", ""});
  rows.push_back({"bnrun training, no_bn", summary_of(no_bn, "samples/s"), range_of(no_bn), "", ""});
  rows.push_back({"bnrun training, bn, 1 thread", summary_of(bn_one_thread, "samples/s"), range_of(bn_one_thread), "",
                  ""});
  rows.push_back({"share of the machine limit, bn", fmt::format("{:.0f}%", 100.0 * limit_share),
                  fmt::format("{:.0f} GFLOP/s as counted", bn.median_value() * flops / 1e9), ">= 80%",
                  verdict(limit_share >= 0.8)});
  rows.push_back({"cost of batch norm (bn time / no_bn time)", fmt::format("{:.3f}x", bn_cost.median_value()),
                  fmt::format("worst round {:.3f}x", bn_cost.best()), "<= 1.05x every round",
                  verdict(bn_cost.best() <= 1.05)});
  rows.push_back({"thread scaling, bn", fmt::format("{:.2f}x", thread_scaling.median_value()),
                  fmt::format("0.9 x OpenBLAS' own {:.2f}x = {:.2f}x", blas_scaling.median_value(), scaling_target),
                  ">= 0.9 x OpenBLAS", verdict(thread_scaling.median_value() >= scaling_target)});
  rows.push_back({"steadiness, bn (best / worst round)", fmt::format("{:.2f}x", steadiest),
                  "the peers' spreads: bnrun_bench --peers", "", ""});
  print_rows(rows);

  auto series_json = [](const Series& series) {
    return nlohmann::ordered_json{{"median", series.median_value()}, {"best", series.best()},
                                  {"worst", series.worst()}, {"rounds", series.values}};
  };
  report["targets"] = {
      {"threads", threads},
      {"rounds", options.rounds},
      {"sgemm_gflops_1_thread", series_json(blas_one)},
      {"sgemm_gflops_all_threads", series_json(blas_all)},
      {"sgemm_gflops_layer", series_json(blas_layer)},
      {"machine_limit_samples_per_second", limit},
      {"bn_samples_per_second", series_json(bn)},
      {"no_bn_samples_per_second", series_json(no_bn)},
      {"bn_1_thread_samples_per_second", series_json(bn_one_thread)},
      {"bn_cost", series_json(bn_cost)},
      {"thread_scaling", series_json(thread_scaling)},
      {"openblas_scaling", series_json(blas_scaling)},
      {"share_of_limit", limit_share},
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The layers that can stand in BatchNorm's place (issue 14's speed target: none costs more than 1.5x BatchNorm).

// The arms --layers compares, their parameters written out so that the table says what it measured.
std::vector<ArmSpec> layer_arms() {
  using nlohmann::json;
  const std::vector<json> entries = {"bn",
                                     json{{"kind", "ghost_bn"}, {"virtual_batch_size", 16}},
                                     "batch_renorm",
                                     "bn_batch_stats",
                                     "bn_cumulative",
                                     "layernorm",
                                     json{{"kind", "groupnorm"}, {"groups", 2}},
                                     json{{"kind", "dropout"}, {"rate", 0.5}},
                                     "no_bn"};
  std::vector<ArmSpec> arms;
  for (const auto& entry : entries) arms.push_back(bnrun::experiment::parse_arm(entry, "arms"));
  return arms;
}

// One layer in BatchNorm's place, built as the model builds it, with a batch of inputs and output gradients of
// its width.
struct PlacedLayer {
  std::unique_ptr<bnrun::nn::Layer<float>> layer;
  bnrun::nn::Matrix<float> input, output, output_gradient, input_gradient;
};

// The layers of `model` that are neither Dense nor activations: those the arm put in BatchNorm's place (none for
// no_bn). Each gets `batch` rows of standard-normal inputs and output gradients.
std::vector<PlacedLayer> layers_in_batchnorm_place(const bnrun::nn::ModelSpec& model, std::size_t batch,
                                                   std::uint64_t seed) {
  std::vector<PlacedLayer> placed;
  std::map<std::string_view, std::size_t> ordinals;
  bnrun::Random random(seed);
  std::size_t width = model.inputs;
  for (const auto& spec : model.layers) {
    const std::size_t input_width = width;
    width = bnrun::nn::output_width(spec, input_width);
    const std::string_view type = bnrun::nn::layer_type(spec);
    const std::size_t ordinal = ordinals[type]++;
    if (std::holds_alternative<bnrun::nn::DenseSpec>(spec) || std::holds_alternative<bnrun::nn::ActivationSpec>(spec))
      continue;
    PlacedLayer layer;
    layer.layer = bnrun::nn::build_layer<float>(
        spec, {fmt::format("{}_{}", type, ordinal + 1), ordinal, input_width, seed, false});
    for (auto* matrix : {&layer.input, &layer.output_gradient}) {
      matrix->reshape(batch, input_width);
      for (float& v : matrix->values) v = static_cast<float>(random.normal());
    }
    placed.push_back(std::move(layer));
  }
  return placed;
}

// Microseconds per training batch of the forward and backward passes of `layers`, summed, on a team of `threads`
// threads as a training run has (so that the loops are handed out as in training). The mean over `batches`
// batches after a warm-up; each batch runs every layer's forward (Mode::train) then its backward.
double layer_microseconds(std::vector<PlacedLayer>& layers, int threads, int batches) {
  if (layers.empty()) return 0.0;
  double seconds = 0.0;
  bnrun::kernels::with_thread_team(
      bnrun::kernels::compute_with_threads(threads), [&](const bnrun::kernels::Compute& compute) {
        auto step = [&] {
          for (auto& placed : layers) {
            placed.layer->forward(compute, placed.input, placed.output, bnrun::nn::Mode::train);
            placed.layer->backward(compute, placed.input, placed.output, placed.output_gradient,
                                   &placed.input_gradient);
          }
        };
        for (int b = 0; b < 20; ++b) step();
        const auto start = Clock::now();
        for (int b = 0; b < batches; ++b) step();
        seconds = seconds_since(start);
      });
  return seconds / batches * 1e6;
}

void layers_bench(const Options& options, const Workload& workload, nlohmann::ordered_json& report) {
  constexpr int threads = 2;
  constexpr int layer_batches = 2000;
  const auto data = synthetic_data(options.rows, workload.features, 10);
  const auto batch = static_cast<std::size_t>(workload.config.training.batch_size);
  const std::vector<ArmSpec> arms = layer_arms();

  std::vector<std::vector<PlacedLayer>> layers;
  std::vector<std::string> widths;
  for (const auto& arm : arms) {
    const auto model = bnrun::config::model_spec(workload.config, workload.features, data.class_names.size(), arm);
    layers.push_back(layers_in_batchnorm_place(model, batch, 11));
    std::string text;
    for (const auto& placed : layers.back())
      text += fmt::format("{}{}", text.empty() ? "" : "+", placed.layer->input_width());
    widths.push_back(text.empty() ? "-" : text);
  }

  // Every round times each arm's layers and trains with each arm, in an order that rotates (as main_bench).
  std::vector<Series> layer_us(arms.size()), samples(arms.size());
  std::vector<std::function<void()>> measurements;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    measurements.push_back(
        [&, a] { layer_us[a].values.push_back(layer_microseconds(layers[a], threads, layer_batches)); });
    measurements.push_back([&, a] {
      samples[a].values.push_back(
          training_throughput(workload, data, arms[a], threads, bnrun::kernels::MatmulBackend::blas));
    });
  }
  for (int round = 0; round < options.rounds; ++round) {
    progress(fmt::format("layers, round {}/{}", round + 1, options.rounds));
    for (std::size_t i = 0; i < measurements.size(); ++i)
      measurements[(i + static_cast<std::size_t>(round)) % measurements.size()]();
  }

  print_machine(threads);
  fmt::print(
      "The layers in BatchNorm's place in 784-256-128-10 (batch {}, Adam, synthetic data), {} threads, {} rounds, "
      "medians;\nlayers: forward + backward per training batch, summed over the network's such layers ({} batches "
      "a round);\nratios taken within each round; target: layers <= 1.5x bn's.\n\n",
      batch, threads, options.rounds, layer_batches);
  std::vector<std::vector<std::string>> table = {
      {"arm", "widths", "layers us", "(range)", "x bn", "training samples/s", "(range)", "x bn", "verdict"}};
  nlohmann::ordered_json arms_json = nlohmann::ordered_json::object();
  const auto series_json = [](const Series& series) {
    return nlohmann::ordered_json{{"median", series.median_value()},
                                  {"best", series.best()},
                                  {"worst", series.worst()},
                                  {"rounds", series.values}};
  };
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const bool has_layers = !layers[a].empty();
    const Series layer_ratio = per_round(layer_us[a], layer_us[0]);
    const Series samples_ratio = per_round(samples[a], samples[0]);
    // Only the layers that replace BatchNorm have a target; bn is the yardstick and no_bn has no such layers.
    const bool judged = a != 0 && has_layers;
    const std::string judgement = judged ? verdict(layer_ratio.median_value() <= 1.5) : "";
    table.push_back({arms[a].name, widths[a], has_layers ? fmt::format("{:.1f}", layer_us[a].median_value()) : "-",
                     has_layers ? fmt::format("({:.1f}-{:.1f})", layer_us[a].worst(), layer_us[a].best()) : "",
                     has_layers ? fmt::format("{:.2f}x", layer_ratio.median_value()) : "-",
                     thousands(samples[a].median_value()),
                     fmt::format("({}-{})", thousands(samples[a].worst()), thousands(samples[a].best())),
                     fmt::format("{:.2f}x", samples_ratio.median_value()), judgement});
    nlohmann::ordered_json arm_json{{"parameters", arms[a].parameters}, {"widths", widths[a]}};
    if (has_layers) {
      arm_json["layer_microseconds"] = series_json(layer_us[a]);
      arm_json["layer_ratio_to_bn"] = series_json(layer_ratio);
    }
    arm_json["samples_per_second"] = series_json(samples[a]);
    arm_json["samples_ratio_to_bn"] = series_json(samples_ratio);
    if (judged) arm_json["met_1_5x"] = layer_ratio.median_value() <= 1.5;
    arms_json[arms[a].name] = arm_json;
  }
  std::vector<std::size_t> column_widths(table[0].size(), 0);
  for (const auto& row : table)
    for (std::size_t c = 0; c < row.size(); ++c) column_widths[c] = std::max(column_widths[c], row[c].size());
  for (const auto& row : table) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c)
      line +=
          c < 2 ? fmt::format("{:<{}}  ", row[c], column_widths[c]) : fmt::format("{:>{}}  ", row[c], column_widths[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  }
  std::fflush(stdout);
  report["layers"] = {{"threads", threads},
                      {"rounds", options.rounds},
                      {"batch_size", batch},
                      {"layer_batches_per_round", layer_batches},
                      {"arms", arms_json}};
}

// ---------------------------------------------------------------------------------------------------------------
// Under load: bnrun beside a CPU-bound process, and two bnruns at once, each as a user starts it.

// A process that spins on CPU `cpu` until killed: the neighbour a shared machine has.
pid_t start_cpu_hog(int cpu) {
  std::fflush(nullptr);  // or the child would write the parent's buffered output a second time
  const pid_t pid = ::fork();
  if (pid == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
    volatile std::uint64_t counter = 0;
    for (;;) counter = counter + 1;
  }
  return pid;
}

void stop_process(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// Starts `bnrun args...` with its output thrown away; the caller waits for it.
pid_t start_bnrun(const std::string& binary, const std::vector<std::string>& args) {
  std::fflush(nullptr);  // or the child would write the parent's buffered output a second time
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execv(binary.c_str(), argv.data());
    std::_Exit(127);
  }
  return pid;
}

bool wait_for(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The training seconds of every run in an output folder (results.json of a single run, summary.json of a study).
std::vector<double> training_seconds(const std::filesystem::path& folder) {
  const auto summary = folder / "summary.json";
  const auto path = std::filesystem::exists(summary) ? summary : folder / "results.json";
  std::vector<double> seconds;
  const auto json = nlohmann::json::parse(bnrun::read_file(path.string(), "results file"));
  for (const auto& run : json.at("runs")) {
    double total = 0.0;
    for (const auto& epoch : run.at("history")) total += epoch.at("seconds").get<double>();
    seconds.push_back(total);
  }
  return seconds;
}

struct LoadCase {
  std::string name;
  bool hog = false;
  int processes = 1;
  std::vector<std::string> extra;
};

void load_bench(const Options& options, const std::string& bnrun_binary, nlohmann::ordered_json& report) {
  const std::string config = source_path("configs/fashion_mnist_bn.json");
  if (!std::filesystem::exists(options.csv)) {
    fmt::print("load test skipped: no {} (scripts/fashion_mnist.sh)\n", options.csv);
    return;
  }
  const auto folder = std::filesystem::temp_directory_path() / fmt::format("bnrun_bench_load.{}", ::getpid());
  const std::vector<std::string> base = {"-q", "-c", config, "--arms", "bn", "--set", "training.epochs=1"};
  const std::vector<LoadCase> cases = {
      {"quiet, default threads", false, 1, {}},
      {"quiet, --threads 1", false, 1, {"--threads", "1"}},
      {"beside a CPU hog on core 1, default threads", true, 1, {}},
      {"beside a CPU hog on core 1, --threads 1", true, 1, {"--threads", "1"}},
      {"two bnruns at once, default threads", false, 2, {}},
      {"two bnruns at once, --threads 1", false, 2, {"--threads", "1"}},
      {"one bnrun, --seeds 2 -j 2", false, 1, {"--seeds", "2", "-j", "2"}},
  };
  std::map<std::string, Series> seconds;
  for (int round = 0; round < options.rounds; ++round) {
    progress(fmt::format("load test, round {}/{}", round + 1, options.rounds));
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const LoadCase& load_case = cases[(i + static_cast<std::size_t>(round)) % cases.size()];
      const pid_t hog = load_case.hog ? start_cpu_hog(1) : 0;
      std::vector<std::pair<pid_t, std::filesystem::path>> started;
      for (int p = 0; p < load_case.processes; ++p) {
        const auto output = folder / fmt::format("{}_{}_{}", round, i, p);
        auto args = base;
        args.insert(args.end(), load_case.extra.begin(), load_case.extra.end());
        args.insert(args.end(), {"-o", output.string()});
        started.emplace_back(start_bnrun(bnrun_binary, args), output);
      }
      bool ok = true;
      for (const auto& [pid, output] : started) ok = wait_for(pid) && ok;
      if (hog) stop_process(hog);
      if (!ok) throw std::runtime_error("a bnrun of the load test failed: " + load_case.name);
      // The slowest of the trainings that ran at the same time: what the user waits for.
      double slowest = 0.0;
      for (const auto& [pid, output] : started)
        for (const double s : training_seconds(output)) slowest = std::max(slowest, s);
      seconds[load_case.name].values.push_back(slowest);
    }
  }
  std::filesystem::remove_all(folder);

  auto ratio = [&](const std::string& a, const std::string& b) {
    return per_round(seconds[a], seconds[b]).median_value();
  };
  const double quiet = seconds["quiet, default threads"].median_value();
  std::vector<Row> rows;
  rows.push_back({fmt::format("one epoch of Fashion-MNIST, bn ({} rounds, medians)", options.rounds),
                  "training s", "compared with", "target", ""});
  for (const auto& load_case : cases)
    rows.push_back({load_case.name, fmt::format("{:.2f}", seconds[load_case.name].median_value()),
                    fmt::format("{:.2f}x quiet; worst {:.2f}", seconds[load_case.name].median_value() / quiet,
                                seconds[load_case.name].best()),
                    "", ""});
  const double hog_ratio = ratio("beside a CPU hog on core 1, default threads", "beside a CPU hog on core 1, --threads 1");
  const double hog_quiet = seconds["beside a CPU hog on core 1, default threads"].median_value() / quiet;
  const double pair_ratio = ratio("two bnruns at once, default threads", "two bnruns at once, --threads 1");
  const double pair_quiet = seconds["two bnruns at once, default threads"].median_value() / quiet;
  const double jobs_quiet = seconds["one bnrun, --seeds 2 -j 2"].median_value() / quiet;
  rows.push_back({"beside a hog: default threads / --threads 1", fmt::format("{:.2f}x", hog_ratio), "", "<= 1.2x",
                  verdict(hog_ratio <= 1.2)});
  rows.push_back({"beside a hog: default threads / quiet", fmt::format("{:.2f}x", hog_quiet), "", "<= 2.5x",
                  verdict(hog_quiet <= 2.5)});
  rows.push_back({"two at once: default threads / --threads 1", fmt::format("{:.2f}x", pair_ratio), "", "<= 1.2x",
                  verdict(pair_ratio <= 1.2)});
  rows.push_back({"two at once: default threads / quiet", fmt::format("{:.2f}x", pair_quiet), "", "<= 2.5x",
                  verdict(pair_quiet <= 2.5)});
  rows.push_back({"-j 2: each run / quiet", fmt::format("{:.2f}x", jobs_quiet), "", "<= 2.5x",
                  verdict(jobs_quiet <= 2.5)});
  print_rows(rows);
  nlohmann::ordered_json cases_json = nlohmann::ordered_json::object();
  for (const auto& load_case : cases) cases_json[load_case.name] = seconds[load_case.name].values;
  report["load"] = {{"training_seconds", cases_json},
                    {"hog_vs_one_thread", hog_ratio},
                    {"hog_vs_quiet", hog_quiet},
                    {"two_vs_one_thread", pair_ratio},
                    {"two_vs_quiet", pair_quiet},
                    {"jobs_vs_quiet", jobs_quiet}};
}

// Three full runs of the real config with the bnrun binary: accuracy after 10 epochs and peak memory.
void full_runs(const std::string& bnrun_binary) {
  const std::string config = source_path("configs/fashion_mnist_bn.json");
  std::vector<double> bn_accuracy, no_bn_accuracy, seconds;
  std::size_t peak_rss = 0;
  const auto folder = std::filesystem::temp_directory_path() / "bnrun_bench_full";
  for (int seed = 1; seed <= 3; ++seed) {
    progress(fmt::format("full run, seed {}/3", seed));
    const auto output = folder / std::to_string(seed);
    const auto start = Clock::now();
    const int code = std::system(
        fmt::format("{} -q -c {} --set training.seed={} -o {} > /dev/null", bnrun_binary, config, seed, output.string())
            .c_str());
    seconds.push_back(seconds_since(start));
    if (code != 0) {
      fmt::print("full run failed (exit {}); is data/fashion-mnist/ there? (scripts/fashion_mnist.sh)\n", code);
      return;
    }
    const std::string results_path = (output / "results.json").string();
    const auto record = bnrun::results::run_record_from_json(
        bnrun::parse_ordered_json_text(bnrun::read_file(results_path, "results file"), results_path), results_path);
    for (const auto& arm : record.arms) {
      const double accuracy = arm.result.test ? arm.result.test->accuracy : std::nan("");
      (arm.arm == "bn" ? bn_accuracy : no_bn_accuracy).push_back(accuracy);
      peak_rss = std::max(peak_rss, arm.result.peak_rss_bytes);
    }
  }
  std::filesystem::remove_all(folder);
  const double data_bytes = 70000.0 * 784.0 * 4.0;
  print_rows(
      {{"full run (3 seeds, 10 epochs, both variants)", "measured", "compared with", "target", ""},
       {"test accuracy, bn (median)", fmt::format("{:.4f}", median(bn_accuracy)),
        fmt::format("seeds: {:.4f} {:.4f} {:.4f}", bn_accuracy[0], bn_accuracy[1], bn_accuracy[2]), ">= 0.885",
        verdict(median(bn_accuracy) >= 0.885)},
       {"test accuracy, no_bn (median)", fmt::format("{:.4f}", median(no_bn_accuracy)),
        fmt::format("seeds: {:.4f} {:.4f} {:.4f}", no_bn_accuracy[0], no_bn_accuracy[1], no_bn_accuracy[2]), "", ""},
       {"peak RSS of a whole run", fmt::format("{:.0f} MB", static_cast<double>(peak_rss) / 1e6),
        fmt::format("{:.2f}x the float32 data ({:.0f} MB)", static_cast<double>(peak_rss) / data_bytes,
                    data_bytes / 1e6),
        "<= 2x", verdict(static_cast<double>(peak_rss) <= 2.0 * data_bytes)},
       {"wall time of a whole run (load + 2 x 10 epochs)", fmt::format("{:.1f} s", median(seconds)), "median", "",
        ""}});
}

// The better of two measurements, bn and no_bn interleaved.
std::pair<double, double> best_of_two(const Workload& workload, const bnrun::data::PreparedData& data, int threads) {
  double bn = 0.0;
  double no_bn = 0.0;
  for (int round = 0; round < 2; ++round) {
    bn = std::max(bn, training_throughput(workload, data, bnrun::experiment::builtin_arm("bn"), threads, bnrun::kernels::MatmulBackend::blas));
    no_bn = std::max(no_bn,
                     training_throughput(workload, data, bnrun::experiment::builtin_arm("no_bn"), threads, bnrun::kernels::MatmulBackend::blas));
  }
  return {bn, no_bn};
}

// How cost grows: samples/s against batch size and hidden width, load time against rows.
void scaling(const Workload& base) {
  const int threads = bnrun::kernels::available_threads();
  fmt::print(
      "samples/s against batch size (784-256-128-10, {} threads, best of 2)\n\n| batch | bn | no_bn | bn cost "
      "|\n|---|---|---|---|\n",
      threads);
  const auto data = synthetic_data(25600, base.features, 10);
  for (const std::int64_t batch : {16, 32, 64, 128, 256, 512, 1024}) {
    Workload workload = base;
    workload.config.training.batch_size = batch;
    const auto [bn, no_bn] = best_of_two(workload, data, threads);
    fmt::print("| {} | {} | {} | {:.2f}x |\n", batch, thousands(bn), thousands(no_bn), no_bn / bn);
  }
  fmt::print(
      "\nsamples/s against hidden width w (784-w-w/2-10, batch 128, {} threads, best of 2)\n\n| width | bn | no_bn | "
      "bn GFLOP/s |\n|---|---|---|---|\n",
      threads);
  for (const std::size_t width : {64, 128, 256, 512, 1024, 2048}) {
    Workload workload = base;
    std::get<bnrun::nn::DenseSpec>(workload.config.layers[0]).units = width;
    std::get<bnrun::nn::DenseSpec>(workload.config.layers[3]).units = width / 2;
    const auto [bn, no_bn] = best_of_two(workload, data, threads);
    fmt::print("| {} | {} | {} | {:.0f} |\n", width, thousands(bn), thousands(no_bn),
               bn * flops_per_sample(workload.config, workload.features) / 1e9);
  }
  fmt::print(
      "\nread_csv time against rows (synthetic: 32 float features + a label, best of 3)\n\n| rows | MB | seconds | "
      "MB/s |\n|---|---|---|---|\n");
  const auto path = std::filesystem::temp_directory_path() / "bnrun_bench_rows.csv";
  bnrun::Random random(3);
  for (const std::size_t rows : {10'000, 100'000, 1'000'000}) {
    {
      std::ofstream out(path);
      out << "label";
      for (int j = 0; j < 32; ++j) out << ",f" << j;
      out << '\n';
      for (std::size_t i = 0; i < rows; ++i) {
        out << random.below(10);
        for (int j = 0; j < 32; ++j) out << fmt::format(",{:.4f}", random.normal());
        out << '\n';
      }
    }
    const double bytes = static_cast<double>(std::filesystem::file_size(path));
    double best = 1e30;
    for (int r = 0; r < 3; ++r) {
      const auto start = Clock::now();
      const auto table = bnrun::data::read_csv(path.string(), csv_options(threads));
      best = std::min(best, seconds_since(start));
    }
    fmt::print("| {} | {:.0f} | {:.3f} | {:.0f} |\n", thousands(static_cast<double>(rows)), bytes / 1e6, best,
               bytes / best / 1e6);
  }
  std::filesystem::remove(path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bnrun_bench: bnrun's speed against its targets, with the baselines (OpenBLAS, the peers, pandas) measured in "
      "the same run"};
  Options options;
  app.add_flag("--full", options.full, "also three full 10-epoch Fashion-MNIST runs (accuracy, peak RSS; ~1 min)");
  app.add_flag("--scaling", options.scaling, "only the scaling tables (batch size, width, rows)");
  app.add_flag("--load", options.load,
               "also the load test: bnrun beside a CPU hog and two bnruns at once, as a user starts them (~2 min)");
  app.add_flag("--peers", options.peers,
               "only bnrun against PyTorch, dlib and mlpack on Fashion-MNIST, each at its best (~10-15 min)");
  app.add_flag("--layers", options.layers,
               "only the layers in BatchNorm's place (Ghost BN, Batch Renorm, LayerNorm, GroupNorm, Dropout, the BN "
               "modes) against BatchNorm: forward + backward time and training samples/s (~1 min a round)");
  app.add_flag("--csv-tables", options.csv_tables,
               "only the CSV load table: three tables at each CPU level and pandas (bench/csv_bench.h)");
  app.add_option("--epochs", options.epochs, "with --peers: epochs of every run")->check(CLI::Range(1, 100));
  app.add_option("--rounds", options.rounds,
                 "interleaved measurement rounds (medians are reported; default 5, 3 with --peers and --csv-tables)")
      ->check(CLI::Range(1, 50));
  app.add_option("--csv", options.csv, "Fashion-MNIST training CSV for the load test and the CSV tables (label + 784 pixels)");
  app.add_option("--python", options.python, "Python with torch and pandas for the reference");
  app.add_option("--json", options.json_path, "also write every figure to this JSON file");
  CLI11_PARSE(app, argc, argv);
  try {
    if (options.csv_tables) {
      bnrun::bench::csv_tables(
          {.rounds = options.rounds > 0 ? options.rounds : 3, .threads = 2, .fashion_csv = options.csv, .python = options.python});
      return 0;
    }
    Workload workload{bnrun::config::load_config(source_path("configs/fashion_mnist_bn.json"), {}), 784};
    const std::string bnrun_binary = (std::filesystem::path(argv[0]).parent_path() / "bnrun").string();
    nlohmann::ordered_json report{{"cpu", bnrun::cpu::processor_name()},
                                  {"cpu_level", bnrun::cpu::level_name(bnrun::cpu::active_level())},
                                  {"blas", bnrun::kernels::matmul_backend_description(
                                               bnrun::kernels::MatmulBackend::blas)}};
    if (options.scaling) {
      scaling(workload);
    } else if (options.layers) {
      if (options.rounds == 0) options.rounds = 5;
      layers_bench(options, workload, report);
    } else if (options.peers) {
      bnrun::bench::PeerOptions peer_options;
      peer_options.rounds = options.rounds > 0 ? options.rounds : 3;
      peer_options.epochs = options.epochs;
      peer_options.json_path = options.json_path;
      peer_options.source_dir = BNRUN_SOURCE_DIR;
      peer_options.binary_dir = std::filesystem::canonical("/proc/self/exe").parent_path().string();
      peer_options.library_dir = BNRUN_LIBRARY_DIR;
      peer_options.python = options.python;
      return bnrun::bench::run_peer_benchmark(peer_options);
    } else {
      if (options.rounds == 0) options.rounds = 5;
      main_bench(options, workload, report);
      if (options.load) {
        fmt::print("\n");
        load_bench(options, bnrun_binary, report);
      }
      if (options.full) {
        fmt::print("\n");
        full_runs(bnrun_binary);
      }
    }
    if (!options.json_path.empty()) bnrun::write_file_atomically(options.json_path, report.dump(2) + "\n");
  } catch (const std::exception& error) {
    fmt::print(stderr, "bench: {}\n", error.what());
    return 1;
  }
  return 0;
}
