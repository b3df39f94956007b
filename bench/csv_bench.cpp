#include "csv_bench.h"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu.h"
#include "core/random.h"
#include "data/csv.h"
#include "kernels/parallel.h"

extern char** environ;

namespace bnrun::bench {
namespace {

using Clock = std::chrono::steady_clock;

// What a process started to read one table finds in its environment.
constexpr std::string_view kTableVariable = "BNRUN_CSV_BENCH_TABLE";
constexpr std::string_view kThreadsVariable = "BNRUN_CSV_BENCH_THREADS";
constexpr std::string_view kLevelVariable = "BNRUN_CPU_LEVEL";  // core/cpu.h's cap

// The targets.
constexpr double kTargetMegabytesPerSecond = 1000.0;
constexpr double kTargetTimesPandas = 10.0;
constexpr double kTargetMemoryRatio = 1.3;

double seconds_of(const timeval& time) {
  return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) * 1e-6;
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
}

// ---------------------------------------------------------------------------------------------------------------
// One read, in its own process.

// This process's peak RSS in bytes: VmHWM, the high-water mark of its own memory since it started this program.
// (getrusage's ru_maxrss would also count the memory of the process it was started from, as it was when the
// program was exec'd.)
double peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024.0;
  }
  return 0;
}

// The read a started process does: one read_csv, reported on stdout as "seconds cpu_seconds rows features
// peak_rss_bytes".
void read_table_and_report(const std::string& path, int threads) {
  bnrun::data::CsvOptions options;
  options.target_column = "label";
  options.compute = bnrun::kernels::compute_with_threads(threads);
  const double cpu_before = cpu_seconds();
  const auto start = Clock::now();
  const bnrun::data::CsvTable table = bnrun::data::read_csv(path, options);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("{:.6f} {:.6f} {} {} {:.0f}\n", seconds, cpu_seconds() - cpu_before, table.rows,
             table.feature_names.size(), peak_rss_bytes());
}

struct Read {
  double seconds = 0;
  double cpu_seconds = 0;
  double peak_rss_bytes = 0;
  std::size_t rows = 0;
  std::size_t features = 0;
};

// Starts this program again (/proc/self/exe) to read `path` at `level` (nullopt: the CPU's own) and waits for it.
Read read_in_own_process(const std::string& path, std::optional<bnrun::cpu::Level> level, int threads) {
  std::vector<std::string> environment;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    const std::string_view entry(*variable);
    const std::string_view name = entry.substr(0, entry.find('='));
    if (name != kTableVariable && name != kThreadsVariable && name != kLevelVariable) environment.emplace_back(entry);
  }
  environment.push_back(fmt::format("{}={}", kTableVariable, path));
  environment.push_back(fmt::format("{}={}", kThreadsVariable, threads));
  if (level) environment.push_back(fmt::format("{}={}", kLevelVariable, bnrun::cpu::level_name(*level)));
  std::vector<char*> environment_pointers;
  for (std::string& entry : environment) environment_pointers.push_back(entry.data());
  environment_pointers.push_back(nullptr);

  int output[2];
  if (::pipe(output) != 0) throw std::runtime_error("cannot make a pipe for the reading process");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, output[0]);
  std::string program = "/proc/self/exe";
  std::string flag = "--csv-tables";
  std::array<char*, 3> arguments = {program.data(), flag.data(), nullptr};
  pid_t child = 0;
  const int spawned =
      posix_spawn(&child, program.c_str(), &actions, nullptr, arguments.data(), environment_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(output[1]);
  std::string report;
  char buffer[256];
  for (ssize_t count; (count = ::read(output[0], buffer, sizeof buffer)) > 0;)
    report.append(buffer, static_cast<std::size_t>(count));
  ::close(output[0]);
  if (spawned != 0) throw std::runtime_error("cannot start a process to read " + path);

  int status = 0;
  ::waitpid(child, &status, 0);
  Read read;
  std::istringstream fields(report);
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
        fields >> read.seconds >> read.cpu_seconds >> read.rows >> read.features >> read.peak_rss_bytes)) {
    throw std::runtime_error("the process reading " + path + " failed: " + report);
  }
  return read;
}

// pandas.read_csv's time for `path` (the import and start-up not counted), with `float_precision` (empty: the
// default) or nullopt if pandas cannot be run.
std::optional<double> pandas_seconds(const std::string& python, const std::string& path,
                                     std::string_view float_precision) {
  const std::string precision = float_precision.empty() ? "None" : fmt::format("\"{}\"", float_precision);
  const std::string command = fmt::format(
      "'{}' -c 'import sys, time, pandas; start = time.perf_counter(); pandas.read_csv(sys.argv[1], "
      "float_precision={}); print(time.perf_counter() - start)' '{}' 2>/dev/null",
      python, precision, path);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  double seconds = 0;
  const bool read = std::fscanf(pipe, "%lf", &seconds) == 1;
  return ::pclose(pipe) == 0 && read ? std::optional<double>(seconds) : std::nullopt;
}

std::string pandas_version(const std::string& python) {
  FILE* pipe =
      ::popen(fmt::format("'{}' -c 'import pandas; print(pandas.__version__)' 2>/dev/null", python).c_str(), "r");
  if (pipe == nullptr) return "";
  char version[64] = {};
  const bool read = std::fgets(version, sizeof version, pipe) != nullptr;
  ::pclose(pipe);
  std::string text = read ? version : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// The tables.

// Writes `rows` rows of `features` standard normal values formatted by `format`, then a label 0..9, from a
// fixed seed.
void write_table(const std::filesystem::path& path, std::size_t rows, std::size_t features, std::string_view format,
                 std::uint64_t seed) {
  std::ofstream out(path, std::ios::binary);
  std::string text;
  for (std::size_t j = 0; j < features; ++j) text += fmt::format("f{},", j);
  text += "label\n";
  bnrun::Random random(seed);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < features; ++j) {
      fmt::format_to(std::back_inserter(text), fmt::runtime(format), random.normal());
      text += ',';
    }
    fmt::format_to(std::back_inserter(text), "{}\n", random.below(10));
    if (text.size() > (std::size_t{1} << 20)) {
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      text.clear();
    }
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

struct Table {
  std::string name;
  std::string path;
  double megabytes = 0;
  // Also read by pandas with float_precision="round_trip": its default parser (xstrtod) is fast but not correctly
  // rounded, which matters for full-precision cells.
  bool exact_pandas_too = false;
};

constexpr std::string_view kExactPandas = "round_trip";

// The levels to read at: the CPU's own, then each lower one (AVX2 is "without AVX-512").
std::vector<bnrun::cpu::Level> levels_to_measure() {
  std::vector<bnrun::cpu::Level> levels = bnrun::cpu::supported_levels();
  std::reverse(levels.begin(), levels.end());
  return levels;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  double one_minute = 0;
  return in >> one_minute ? fmt::format("{:.2f}", one_minute) : "unknown";
}

std::string verdict(bool met) {
  return met ? "**met**" : "**missed**";
}

void progress(const std::string& what) {
  fmt::print(stderr, "csv bench: {}\n", what);
}

// What the rounds measured for one table and one reader: a level's name, or "pandas".
struct Series {
  std::vector<double> megabytes_per_second;
  std::vector<double> cpu_seconds;
  double peak_rss_bytes = 0;  // the largest over the rounds
};

}  // namespace

void csv_tables(const CsvBenchOptions& options) {
  if (const char* table = std::getenv(std::string(kTableVariable).c_str())) {
    const char* threads = std::getenv(std::string(kThreadsVariable).c_str());
    read_table_and_report(table, threads != nullptr ? std::atoi(threads) : options.threads);
    return;
  }

  const std::string load_before = load_average();
  const auto folder = std::filesystem::temp_directory_path() / fmt::format("bnrun_csv_bench_{}", ::getpid());
  std::filesystem::create_directories(folder);
  std::vector<Table> tables = {
      {"5,000,000 × (9 `%.4f` + label)", (folder / "decimals.csv").string(), 0, false},
      {"1,000,000 × (16 `%.17g` + label)", (folder / "doubles.csv").string(), 0, true},
  };
  progress("writing the decimals table (seed 13)");
  write_table(tables[0].path, 5'000'000, 9, "{:.4f}", 13);
  progress("writing the doubles table (seed 17)");
  write_table(tables[1].path, 1'000'000, 16, "{:.17g}", 17);
  if (std::filesystem::exists(options.fashion_csv)) {
    tables.push_back({"Fashion-MNIST train.csv (60,000 × 784 + label)", options.fashion_csv, 0, false});
  } else {
    progress("no " + options.fashion_csv + ": Fashion-MNIST left out (scripts/fashion_mnist.sh makes it)");
  }
  for (Table& table : tables) table.megabytes = static_cast<double>(std::filesystem::file_size(table.path)) / 1e6;

  const std::vector<bnrun::cpu::Level> levels = levels_to_measure();
  const std::string pandas = pandas_version(options.python);
  std::map<std::pair<std::size_t, std::string>, Series> results;
  std::vector<double> float_megabytes(tables.size());
  for (int round = 1; round <= options.rounds; ++round) {
    for (std::size_t t = 0; t < tables.size(); ++t) {
      progress(fmt::format("round {}/{}: {}", round, options.rounds, tables[t].name));
      for (const bnrun::cpu::Level level : levels) {
        const Read read = read_in_own_process(tables[t].path, level, options.threads);
        Series& series = results[{t, std::string(bnrun::cpu::level_name(level))}];
        series.megabytes_per_second.push_back(tables[t].megabytes / read.seconds);
        series.cpu_seconds.push_back(read.cpu_seconds);
        series.peak_rss_bytes = std::max(series.peak_rss_bytes, read.peak_rss_bytes);
        float_megabytes[t] = static_cast<double>(read.rows * read.features * sizeof(float)) / 1e6;
      }
      if (!pandas.empty()) {
        if (const auto seconds = pandas_seconds(options.python, tables[t].path, ""))
          results[{t, "pandas"}].megabytes_per_second.push_back(tables[t].megabytes / *seconds);
        if (tables[t].exact_pandas_too) {
          if (const auto seconds = pandas_seconds(options.python, tables[t].path, kExactPandas))
            results[{t, std::string(kExactPandas)}].megabytes_per_second.push_back(tables[t].megabytes / *seconds);
        }
      }
    }
  }
  std::filesystem::remove_all(folder);

  const bnrun::cpu::Level host = bnrun::cpu::supported_level();
  // The targets are stated without AVX-512: judged at the avx2 level (and at the CPU's own if it has no AVX2).
  const bnrun::cpu::Level judged = std::min(host, bnrun::cpu::Level::avx2);
  fmt::print(
      "\nCSV load on {} ({}; AVX2: {}, AVX-512: {}), {} threads, {} interleaved rounds; every read in a "
      "process of its own. Load average (1 min): {} before, {} after.\n\n",
      bnrun::cpu::processor_name(), bnrun::cpu::level_name(host), host >= bnrun::cpu::Level::avx2 ? "yes" : "no",
      host >= bnrun::cpu::Level::avx512 ? "yes" : "no", options.threads, options.rounds, load_before, load_average());
  fmt::print(
      "MB/s is the file's size over the read's wall-clock time. CPU s is the CPU time the read took (user and "
      "system, all threads); MB ÷ (CPU s ÷ {}) is what it would read in a second with {} cores of its own, which "
      "another process's load makes the wall clock fall short of.\n\n"
      "| table | MB | float32 MB | reader | MB/s median | MB/s best | CPU s median | MB ÷ (CPU s ÷ {}) | × pandas | "
      "peak RSS ÷ float32 |\n|---|---|---|---|---|---|---|---|---|---|\n",
      options.threads, options.threads, options.threads);
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const auto pandas_series = results.find({t, "pandas"});
    const bool pandas_ran = pandas_series != results.end();
    const double pandas_median = pandas_ran ? median(pandas_series->second.megabytes_per_second) : 0.0;
    bool first = true;
    for (const bnrun::cpu::Level level : levels) {
      const Series& series = results[{t, std::string(bnrun::cpu::level_name(level))}];
      const double mbps = median(series.megabytes_per_second);
      const double cpu = median(series.cpu_seconds);
      fmt::print("| {} | {} | {} | bnrun, {} | {:.0f} | {:.0f} | {:.3f} | {:.0f} | {} | {:.2f} |\n",
                 first ? tables[t].name : "", first ? fmt::format("{:.0f}", tables[t].megabytes) : "",
                 first ? fmt::format("{:.0f}", float_megabytes[t]) : "", bnrun::cpu::level_name(level), mbps,
                 *std::max_element(series.megabytes_per_second.begin(), series.megabytes_per_second.end()), cpu,
                 tables[t].megabytes / (cpu / options.threads),
                 pandas_ran ? fmt::format("{:.1f}×", mbps / pandas_median) : "–",
                 series.peak_rss_bytes / (float_megabytes[t] * 1e6));
      first = false;
    }
    if (pandas_ran)
      fmt::print("| | | | pandas {} `read_csv` | {:.0f} | {:.0f} | | | | |\n", pandas, pandas_median,
                 *std::max_element(pandas_series->second.megabytes_per_second.begin(),
                                   pandas_series->second.megabytes_per_second.end()));
    if (const auto exact = results.find({t, std::string(kExactPandas)}); exact != results.end()) {
      const std::vector<double>& rates = exact->second.megabytes_per_second;
      const double judged_mbps = median(results[{t, std::string(bnrun::cpu::level_name(judged))}].megabytes_per_second);
      fmt::print(
          "| | | | pandas `read_csv(float_precision=\"{}\")`, for comparison (bnrun, {}: {:.1f}×) | {:.0f} | "
          "{:.0f} | | | | |\n",
          kExactPandas, bnrun::cpu::level_name(judged), judged_mbps / median(rates), median(rates),
          *std::max_element(rates.begin(), rates.end()));
    }
  }

  fmt::print(
      "\nTargets, at the {} level, on the wall-clock medians: ≥ {:.0f} MB/s, ≥ {:.0f}× pandas, peak RSS ≤ {:.1f}× "
      "the float32 data; and, beside them, the CPU's own level.\n\n| table | MB/s (with {} cores of its own) | "
      "× pandas | peak RSS ÷ float32 | {} vs {}: MB/s, CPU s |\n|---|---|---|---|---|\n",
      bnrun::cpu::level_name(judged), kTargetMegabytesPerSecond, kTargetTimesPandas, kTargetMemoryRatio,
      options.threads, bnrun::cpu::level_name(host), bnrun::cpu::level_name(judged));
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const Series& series = results[{t, std::string(bnrun::cpu::level_name(judged))}];
    const Series& host_series = results[{t, std::string(bnrun::cpu::level_name(host))}];
    const double mbps = median(series.megabytes_per_second);
    const double full_cores_mbps = tables[t].megabytes / (median(series.cpu_seconds) / options.threads);
    const double memory = series.peak_rss_bytes / (float_megabytes[t] * 1e6);
    std::string times_pandas = "pandas not run";
    if (const auto pandas_series = results.find({t, "pandas"}); pandas_series != results.end()) {
      const double ratio = mbps / median(pandas_series->second.megabytes_per_second);
      times_pandas = fmt::format("{:.1f}× {}", ratio, verdict(ratio >= kTargetTimesPandas));
    }
    fmt::print("| {} | {:.0f} {} ({:.0f}) | {} | {:.2f} {} | {:.0f} vs {:.0f}, {:.3f} vs {:.3f} |\n", tables[t].name,
               mbps, verdict(mbps >= kTargetMegabytesPerSecond), full_cores_mbps, times_pandas, memory,
               verdict(memory <= kTargetMemoryRatio), median(host_series.megabytes_per_second), mbps,
               median(host_series.cpu_seconds), median(series.cpu_seconds));
  }
}

}  // namespace bnrun::bench
