// bnrun's benchmark: one command that measures, in one run, everything the speed targets are stated in
// (docs/BENCHMARKS.md), with the baselines (OpenBLAS sgemm, PyTorch, pandas) measured in the same run, because
// these machines are shared and noisy and only ratios taken side by side mean anything.
//
//   build/release/bnrun_bench              throughput, BN cost, thread scaling, kernels, CSV, PyTorch, pandas
//   build/release/bnrun_bench --full       ... plus three full 10-epoch Fashion-MNIST runs: accuracy, peak RSS
//   build/release/bnrun_bench --scaling    samples/s against batch size and width, load time against rows
//   build/release/bnrun_bench --peers      bnrun against PyTorch, dlib and mlpack at their best (peer_bench.h)
//
// The training workload is configs/fashion_mnist_bn.json's network (784-256-128-10 with BatchNorm, Adam,
// batch 128) on synthetic data of Fashion-MNIST's shape, so it needs no data files; the CSV and full-run
// parts use data/fashion-mnist/ (scripts/fashion_mnist.sh makes it).
#include <cblas.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/files.h"
#include "core/json_text.h"
#include "results/codec.h"
#include "config/load.h"
#include "core/random.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
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
  bnrun::train::TrainingRecipe recipe{bnrun::config::model_spec(workload.config, workload.features, variant),
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
// Other programs: the PyTorch / pandas reference and full bnrun runs.

std::optional<nlohmann::json> run_json_command(const std::string& command) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string output;
  char buffer[4096];
  while (std::size_t count = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, count);
  if (::pclose(pipe) != 0) return std::nullopt;
  auto parsed = nlohmann::json::parse(output, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::optional<double> number_at(const std::optional<nlohmann::json>& json, const char* key) {
  if (!json || !json->contains(key) || !(*json)[key].is_number()) return std::nullopt;
  return (*json)[key].get<double>();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
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

void progress(const std::string& what) {
  fmt::print(stderr, "bench: {}\n", what);
}

// ---------------------------------------------------------------------------------------------------------------
// The runs.

struct Options {
  bool full = false;
  bool scaling = false;
  bool peers = false;
  int rounds = 3;
  int epochs = 2;
  std::string json;
  std::size_t rows = 25600;
  std::string csv = source_path("data/fashion-mnist/train.csv");
  std::string python = "/usr/bin/python3";
};

void main_bench(const Options& options, const Workload& workload) {
  const auto data = synthetic_data(options.rows, workload.features, 10);
  const int threads = bnrun::kernels::available_threads();
  using bnrun::kernels::MatmulBackend;

  progress("sgemm peak");
  const double peak_square = sgemm_gflops(2048, 2048, 2048, threads, 3);
  const double peak_layer = sgemm_gflops(128, 784, 256, threads, 200);

  // Interleaved rounds, best of each: noise from other tenants hits every configuration alike.
  double bn = 0, no_bn = 0, bn_one_thread = 0, bn_builtin = 0;
  for (int round = 1; round <= options.rounds; ++round) {
    progress(fmt::format("training throughput, round {}/{}", round, options.rounds));
    bn = std::max(bn, training_throughput(workload, data, bnrun::experiment::builtin_arm("bn"), threads, MatmulBackend::blas));
    no_bn = std::max(no_bn, training_throughput(workload, data, bnrun::experiment::builtin_arm("no_bn"), threads, MatmulBackend::blas));
    bn_one_thread = std::max(bn_one_thread, training_throughput(workload, data, bnrun::experiment::builtin_arm("bn"), 1, MatmulBackend::blas));
    bn_builtin =
        std::max(bn_builtin, training_throughput(workload, data, bnrun::experiment::builtin_arm("bn"), threads, MatmulBackend::builtin));
  }

  std::optional<double> csv_seconds;
  std::size_t csv_bytes = 0;
  if (std::filesystem::exists(options.csv)) {
    progress("CSV load");
    csv_bytes = std::filesystem::file_size(options.csv);
    for (int r = 0; r < 3; ++r) {
      const auto start = Clock::now();
      const auto table = bnrun::data::read_csv(options.csv, csv_options(threads));
      const double seconds = seconds_since(start);
      csv_seconds = csv_seconds ? std::min(*csv_seconds, seconds) : seconds;
    }
  }

  std::optional<nlohmann::json> tuned, shipped;
  const std::string reference = source_path("bench/reference.py");
  if (std::filesystem::exists(options.python)) {
    progress("PyTorch with OpenBLAS single-threaded, and pandas");
    tuned = run_json_command(fmt::format("OPENBLAS_NUM_THREADS=1 {} {} --threads {}{} 2>/dev/null", options.python,
                                         reference, threads,
                                         csv_seconds ? fmt::format(" --csv {}", options.csv) : std::string()));
    progress("PyTorch as Debian ships it (OpenBLAS's own threads on)");
    shipped =
        run_json_command(fmt::format("OPENBLAS_NUM_THREADS={} {} {} --threads {} --batches 100 --repeats 2 2>/dev/null",
                                     threads, options.python, reference, threads));
  }

  // The machine's limit: the best sgemm rate measured, spent entirely on the network's FLOPs.
  const double flops = flops_per_sample(workload.config, workload.features);
  const double roofline = std::max(peak_square, peak_layer) * 1e9 / flops;
  std::vector<Row> rows;
  rows.push_back({"what (" + std::to_string(threads) + " threads)", "measured", "compared with", "target", ""});
  rows.push_back({"sgemm, OpenBLAS, 2048x2048x2048", fmt::format("{:.0f} GFLOP/s", peak_square), "", "", ""});
  rows.push_back({"sgemm, OpenBLAS, 128x784x256", fmt::format("{:.0f} GFLOP/s", peak_layer), "", "", ""});
  rows.push_back({"machine limit for this network", thousands(roofline) + " samples/s",
                  fmt::format("best sgemm / {:.2f} MFLOP per sample", flops / 1e6), "", ""});
  rows.push_back({"bnrun training, bn", thousands(bn) + " samples/s",
                  fmt::format("{:.0f} GFLOP/s = {:.0f}% of the limit", bn * flops / 1e9, 100.0 * bn / roofline),
                  ">= 50%", verdict(bn / roofline >= 0.5)});
  rows.push_back({"bnrun training, no_bn", thousands(no_bn) + " samples/s", "", "", ""});
  rows.push_back({"cost of batch norm", fmt::format("{:.3f}x", no_bn / bn), "bn epoch time / no_bn epoch time",
                  "<= 1.10x", verdict(no_bn / bn <= 1.10)});
  rows.push_back({"thread scaling, bn", fmt::format("{:.2f}x", bn / bn_one_thread),
                  fmt::format("1 thread: {} samples/s", thousands(bn_one_thread)), ">= 1.70x",
                  verdict(bn / bn_one_thread >= 1.7)});
  rows.push_back({"bn with built-in kernels", thousands(bn_builtin) + " samples/s",
                  fmt::format("OpenBLAS is {:.2f}x faster", bn / bn_builtin), "", ""});
  if (const auto torch_bn = number_at(shipped, "torch_bn_samples_per_second")) {
    rows.push_back({"PyTorch bn, as Debian ships it", thousands(*torch_bn) + " samples/s",
                    fmt::format("bnrun {:.1f}x faster", bn / *torch_bn), ">= 4x", verdict(bn / *torch_bn >= 4.0)});
    if (const auto torch_no_bn = number_at(shipped, "torch_no_bn_samples_per_second"))
      rows.push_back({"PyTorch no_bn, as Debian ships it", thousands(*torch_no_bn) + " samples/s",
                      fmt::format("BN costs PyTorch +{:.0f}%", 100.0 * (*torch_no_bn / *torch_bn - 1.0)), "", ""});
  }
  if (const auto torch_bn = number_at(tuned, "torch_bn_samples_per_second")) {
    rows.push_back({"PyTorch bn, OpenBLAS single-threaded", thousands(*torch_bn) + " samples/s",
                    fmt::format("bnrun {:.1f}x faster", bn / *torch_bn), "(>= 4x)", verdict(bn / *torch_bn >= 4.0)});
    if (const auto torch_no_bn = number_at(tuned, "torch_no_bn_samples_per_second"))
      rows.push_back({"PyTorch no_bn, OpenBLAS single-threaded", thousands(*torch_no_bn) + " samples/s",
                      fmt::format("BN costs PyTorch +{:.0f}%", 100.0 * (*torch_no_bn / *torch_bn - 1.0)), "", ""});
  }
  if (csv_seconds) {
    const double megabytes_per_second = static_cast<double>(csv_bytes) / *csv_seconds / 1e6;
    rows.push_back({"CSV load, bnrun read_csv", fmt::format("{:.0f} MB/s", megabytes_per_second),
                    fmt::format("{:.0f} MB in {:.3f} s", static_cast<double>(csv_bytes) / 1e6, *csv_seconds), "", ""});
    if (const auto pandas = number_at(tuned, "pandas_read_csv_seconds"))
      rows.push_back({"CSV load, pandas read_csv",
                      fmt::format("{:.0f} MB/s", static_cast<double>(csv_bytes) / *pandas / 1e6),
                      fmt::format("bnrun {:.1f}x faster", *pandas / *csv_seconds), ">= 10x",
                      verdict(*pandas / *csv_seconds >= 10.0)});
  } else {
    rows.push_back({"CSV load", "skipped", "no " + options.csv + " (scripts/fashion_mnist.sh)", "", ""});
  }
  if (!shipped && !tuned) rows.push_back({"PyTorch / pandas", "skipped", "python3-torch / pandas not found", "", ""});
  print_rows(rows);
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
      "bnrun_bench: bnrun's speed against its targets, with OpenBLAS, PyTorch and pandas measured in the same run"};
  Options options;
  app.add_flag("--full", options.full, "also three full 10-epoch Fashion-MNIST runs (accuracy, peak RSS; ~1 min)");
  app.add_flag("--scaling", options.scaling, "only the scaling tables (batch size, width, rows)");
  app.add_flag("--peers", options.peers,
               "only bnrun against PyTorch, dlib and mlpack on Fashion-MNIST, each at its best (~10-15 min)");
  app.add_option("--epochs", options.epochs, "with --peers: epochs of every run")->check(CLI::Range(1, 100));
  app.add_option("--json", options.json, "with --peers: also write the figures to this JSON file");
  app.add_option("--rounds", options.rounds, "interleaved measurement rounds, best of each")->check(CLI::Range(1, 20));
  app.add_option("--csv", options.csv, "CSV for the load benchmark (label + 784 pixels)");
  app.add_option("--python", options.python, "Python with torch and pandas for the reference");
  CLI11_PARSE(app, argc, argv);
  try {
    Workload workload{bnrun::config::load_config(source_path("configs/fashion_mnist_bn.json"), {}), 784};
    if (options.scaling) {
      scaling(workload);
      return 0;
    }
    if (options.peers) {
      bnrun::bench::PeerOptions peer_options;
      peer_options.rounds = options.rounds;
      peer_options.epochs = options.epochs;
      peer_options.json_path = options.json;
      peer_options.source_dir = BNRUN_SOURCE_DIR;
      peer_options.binary_dir = std::filesystem::canonical("/proc/self/exe").parent_path().string();
      peer_options.library_dir = BNRUN_LIBRARY_DIR;
      peer_options.python = options.python;
      return bnrun::bench::run_peer_benchmark(peer_options);
    }
    main_bench(options, workload);
    if (options.full) {
      fmt::print("\n");
      full_runs((std::filesystem::path(argv[0]).parent_path() / "bnrun").string());
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "bench: {}\n", error.what());
    return 1;
  }
  return 0;
}
