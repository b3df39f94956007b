#include "peer_bench.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/cpu.h"
#include "core/files.h"
#include "core/json_text.h"
#include "report/table.h"
#include "results/codec.h"

extern char** environ;

namespace bnrun::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;
using Settings = std::vector<std::pair<std::string, std::string>>;  // environment variables a run sets

// A run that takes longer than this has hung: even on a loaded machine one 2-epoch run takes a few minutes.
constexpr std::chrono::seconds run_timeout{900};

// Every program reaches 0.85-0.88 test accuracy after 2 epochs of this workload; one far below did not train
// the same network the same way, and its speed is not comparable.
constexpr double lowest_plausible_accuracy = 0.8;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string thousands(double value) {
  return report::with_thousands(static_cast<std::size_t>(value + 0.5));
}

// "1 epoch", "2 epochs".
std::string counted(int count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

void progress(const std::string& what) {
  fmt::print(stderr, "peers: {}\n", what);
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes: each run is a program of its own, started with a controlled environment, its output captured.

struct ChildOutput {
  int exit_code = -1;  // the exit status, or 128 + the signal that ended the process
  bool timed_out = false;
  std::string standard_output;
  std::string standard_error;
};

// The variables that choose libraries or thread counts: no run inherits them, so only its configuration sets them.
constexpr std::array<std::string_view, 6> controlled_variables = {
    "LD_LIBRARY_PATH", "LD_PRELOAD", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS"};

std::vector<std::string> child_environment(const Settings& settings) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    const std::string_view name = variable.substr(0, variable.find('='));
    if (std::find(controlled_variables.begin(), controlled_variables.end(), name) == controlled_variables.end())
      environment.emplace_back(variable);
  }
  for (const auto& [name, value] : settings) environment.push_back(name + "=" + value);
  return environment;
}

std::vector<char*> null_terminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs `arguments` (the program is looked up in PATH unless it has a slash) with stdin from /dev/null and
// `settings` added to the environment; kills it after `timeout`.
ChildOutput run_child(std::vector<std::string> arguments, const Settings& settings, std::chrono::seconds timeout) {
  ChildOutput output;
  int output_pipe[2];
  int error_pipe[2];
  if (::pipe2(output_pipe, O_CLOEXEC) != 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, output_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, error_pipe[1], 2);
  std::vector<std::string> environment = child_environment(settings);
  std::vector<char*> argv = null_terminated(arguments);
  std::vector<char*> envp = null_terminated(environment);
  pid_t child = 0;
  const int spawn_error = ::posix_spawnp(&child, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(output_pipe[1]);
  ::close(error_pipe[1]);
  if (spawn_error != 0) {
    ::close(output_pipe[0]);
    ::close(error_pipe[0]);
    output.standard_error = fmt::format("cannot start {}: {}", arguments[0], std::strerror(spawn_error));
    return output;
  }
  const auto deadline = Clock::now() + timeout;
  std::array<pollfd, 2> streams = {pollfd{output_pipe[0], POLLIN, 0}, pollfd{error_pipe[0], POLLIN, 0}};
  const std::array<std::string*, 2> sinks = {&output.standard_output, &output.standard_error};
  int open_streams = 2;
  while (open_streams > 0) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (remaining <= 0) {
      output.timed_out = true;
      ::kill(child, SIGKILL);
      break;
    }
    if (::poll(streams.data(), streams.size(), static_cast<int>(std::min<long long>(remaining, 1000))) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (streams[i].fd < 0 || (streams[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buffer[65536];
      const ssize_t count = ::read(streams[i].fd, buffer, sizeof buffer);
      if (count > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(count));
      } else if (count == 0 || errno != EINTR) {
        ::close(streams[i].fd);
        streams[i].fd = -1;
        --open_streams;
      }
    }
  }
  for (const pollfd& stream : streams)
    if (stream.fd >= 0) ::close(stream.fd);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return output;
}

std::string last_line(const std::string& text) {
  std::istringstream lines(text);
  std::string last;
  for (std::string line; std::getline(lines, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

// Why a child failed, in one line.
std::string failure_of(const ChildOutput& child) {
  if (child.timed_out) return fmt::format("no result after {} s", run_timeout.count());
  const std::string message = last_line(child.standard_error);
  return fmt::format("exit {}{}{}", child.exit_code, message.empty() ? "" : ": ", message.substr(0, 200));
}

// ---------------------------------------------------------------------------------------------------------------
// Programs and their configurations.

enum class Arm { bn, no_bn };
constexpr std::array<Arm, 2> arms = {Arm::bn, Arm::no_bn};

const char* arm_name(Arm arm) {
  return arm == Arm::bn ? "bn" : "no_bn";
}

struct Configuration {
  std::string name;                  // as the tables show it
  std::vector<std::string> command;  // the program and the arguments this configuration adds
  Settings environment;              // what this configuration sets in the environment
  std::string blas_directory;        // the OpenBLAS build the run must map; empty: not checked (bnrun pins its own)
};

struct Program {
  std::string name;
  bool is_bnrun = false;
  std::string skipped;  // why it is not measured; empty when it is
  std::vector<Configuration> configurations;
};

struct RunResult {
  std::optional<std::string> error;
  double samples_per_second = 0.0;
  double test_accuracy = 0.0;
  std::size_t train_rows = 0;
  std::string version;    // the program's own
  std::string libraries;  // the libraries it was built with beside its own, with their versions
  std::string openblas;   // OpenBLAS's description of itself, as the run reported it
};

struct Workload {
  std::string config_path;
  std::string train_csv;
  std::string test_csv;
  int epochs = 2;
  fs::path scratch;  // bnrun's output folders
};

RunResult failed(std::string error) {
  RunResult result;
  result.error = std::move(error);
  return result;
}

// bnrun as a user runs it, timed by its own results.json: the sum of the per-epoch seconds, which cover the
// shuffle, batch gathering, forward, backward and update of every batch (lib/train/trainer.cpp) and nothing else
// here (no validation split).
RunResult run_bnrun(const Configuration& configuration, Arm arm, const Workload& workload, int run_number) {
  const fs::path output = workload.scratch / fmt::format("run{}", run_number);
  std::vector<std::string> command = configuration.command;
  command.insert(command.end(),
                 {"-c", workload.config_path, "--set", fmt::format("training.epochs={}", workload.epochs), "--arms",
                  arm_name(arm), "-o", output.string()});
  const ChildOutput child = run_child(command, configuration.environment, run_timeout);
  if (child.exit_code != 0) return failed(failure_of(child));
  const std::string results_path = (output / "results.json").string();
  const auto record = results::run_record_from_json(
      parse_ordered_json_text(read_file(results_path, "results file"), results_path), results_path);
  fs::remove_all(output);
  const results::ArmRecord* trained = record.arm(arm_name(arm));
  if (!trained || trained->result.status != train::RunStatus::ok || !trained->result.test ||
      trained->result.history.empty())
    return failed("results.json has no finished run of that arm");
  double seconds = 0.0;
  for (const auto& epoch : trained->result.history) seconds += epoch.seconds;
  RunResult result;
  result.train_rows = record.data.train_rows;
  result.samples_per_second = static_cast<double>(result.train_rows * trained->result.history.size()) / seconds;
  result.test_accuracy = trained->result.test->accuracy;
  result.version = record.bnrun_version;
  result.openblas = record.environment.blas;
  return result;
}

// Whether every OpenBLAS library the run mapped lies in `directory` (and there is one).
bool mapped_only_from(const Json& libraries, const std::string& directory) {
  const fs::path wanted = fs::weakly_canonical(directory);
  bool found = false;
  for (const auto& library : libraries) {
    const fs::path path = fs::weakly_canonical(library.get<std::string>());
    if (path.filename().string().find("openblas") == std::string::npos) continue;
    if (path.parent_path() != wanted) return false;
    found = true;
  }
  return found;
}

// A peer of bench/peers/: it prints one JSON object (bench/peers/peer_common.h).
RunResult run_peer(const Configuration& configuration, Arm arm, const Workload& workload, std::size_t train_rows) {
  std::vector<std::string> command = configuration.command;
  command.insert(command.end(),
                 {"--train", workload.train_csv, "--test", workload.test_csv, "--arm", arm_name(arm), "--epochs",
                  std::to_string(workload.epochs), "--train-rows", std::to_string(train_rows)});
  const ChildOutput child = run_child(command, configuration.environment, run_timeout);
  if (child.exit_code != 0) return failed(failure_of(child));
  const Json report = Json::parse(last_line(child.standard_output), nullptr, false);
  if (report.is_discarded() || !report.contains("samples_per_second") || !report.contains("test_accuracy"))
    return failed("no JSON report on stdout");
  if (!configuration.blas_directory.empty() &&
      !mapped_only_from(report.value("blas_libraries", Json::array()), configuration.blas_directory))
    return failed(fmt::format("did not load the OpenBLAS of {}: mapped {}", configuration.blas_directory,
                              report.value("blas_libraries", Json::array()).dump()));
  RunResult result;
  result.samples_per_second = report["samples_per_second"].get<double>();
  result.test_accuracy = report["test_accuracy"].get<double>();
  result.train_rows = report.value("train_rows", std::size_t{0});
  result.version = report.value("version", std::string());
  result.libraries = report.value("libraries", std::string());
  result.openblas = report.value("openblas", std::string());
  return result;
}

RunResult run_once(const Program& program, const Configuration& configuration, Arm arm, const Workload& workload,
                   std::size_t train_rows, int run_number) {
  try {
    return program.is_bnrun ? run_bnrun(configuration, arm, workload, run_number)
                            : run_peer(configuration, arm, workload, train_rows);
  } catch (const std::exception& error) {
    return failed(error.what());
  }
}

std::string blas_directory(const PeerOptions& options, std::string_view build) {
  return fmt::format("{}/openblas-{}", options.library_dir, build);
}

// The thread splits a peer with two pools (the framework's, OpenBLAS's) is tried with: both at the full count,
// or one of them at 1. Every split uses `threads` somewhere: none runs on fewer cores than bnrun.
std::vector<std::pair<int, int>> thread_splits(int threads) {
  std::vector<std::pair<int, int>> splits = {{threads, threads}};
  if (threads > 1) splits.insert(splits.end(), {{threads, 1}, {1, threads}});
  return splits;
}

// PyTorch (Debian's python3-torch uses OpenMP for its own threads and calls OpenBLAS for the matrix products).
// With the pthread OpenBLAS both thread counts are free; the OpenMP OpenBLAS runs as many threads as OpenMP
// allows, which torch.set_num_threads sets, so there only torch's count is chosen.
std::vector<Configuration> torch_configurations(const PeerOptions& options) {
  const std::string script = options.source_dir + "/bench/peers/torch_mlp.py";
  std::vector<Configuration> configurations;
  for (const char* compile : {"eager", "script", "trace"}) {
    for (const auto& [torch_threads, blas_threads] : thread_splits(options.threads))
      configurations.push_back(
          {fmt::format("pthread BLAS {}, torch {}, {}", blas_threads, torch_threads, compile),
           {options.python, script, "--threads", std::to_string(torch_threads), "--compile", compile},
           {{"LD_LIBRARY_PATH", blas_directory(options, "pthread")},
            {"OPENBLAS_NUM_THREADS", std::to_string(blas_threads)}},
           blas_directory(options, "pthread")});
    configurations.push_back(
        {fmt::format("openmp BLAS, torch {}, {}", options.threads, compile),
         {options.python, script, "--threads", std::to_string(options.threads), "--compile", compile},
         {{"LD_LIBRARY_PATH", blas_directory(options, "openmp")}},
         blas_directory(options, "openmp")});
  }
  return configurations;
}

// dlib: its layers run in the calling thread (or dnn_trainer's worker thread), its matrix products in OpenBLAS.
std::vector<Configuration> dlib_configurations(const PeerOptions& options) {
  const std::string program = options.binary_dir + "/dlib_mlp";
  const std::string threads = std::to_string(options.threads);
  std::vector<Configuration> configurations;
  for (const char* driver : {"trainer", "direct"}) {
    configurations.push_back(
        {fmt::format("pthread BLAS {}, {}", threads, driver),
         {program, "--driver", driver},
         {{"LD_LIBRARY_PATH", blas_directory(options, "pthread")}, {"OPENBLAS_NUM_THREADS", threads}},
         blas_directory(options, "pthread")});
    configurations.push_back({fmt::format("openmp BLAS {}, {}", threads, driver),
                              {program, "--driver", driver},
                              {{"LD_LIBRARY_PATH", blas_directory(options, "openmp")}, {"OMP_NUM_THREADS", threads}},
                              blas_directory(options, "openmp")});
  }
  // The trainer's worker thread and the caller already make two threads: OpenBLAS single-threaded beside them.
  if (options.threads > 1)
    configurations.push_back({"pthread BLAS 1, trainer",
                              {program, "--driver", "trainer"},
                              {{"LD_LIBRARY_PATH", blas_directory(options, "pthread")}, {"OPENBLAS_NUM_THREADS", "1"}},
                              blas_directory(options, "pthread")});
  return configurations;
}

// mlpack: Armadillo's element-wise loops use OpenMP, its products OpenBLAS. The OpenMP OpenBLAS follows
// OMP_NUM_THREADS, so with it both pools share the one count.
std::vector<Configuration> mlpack_configurations(const PeerOptions& options) {
  const std::string program = options.binary_dir + "/mlpack_mlp";
  std::vector<Configuration> configurations;
  for (const auto& [omp_threads, blas_threads] : thread_splits(options.threads))
    configurations.push_back({fmt::format("pthread BLAS {}, OMP {}", blas_threads, omp_threads),
                              {program},
                              {{"LD_LIBRARY_PATH", blas_directory(options, "pthread")},
                               {"OPENBLAS_NUM_THREADS", std::to_string(blas_threads)},
                               {"OMP_NUM_THREADS", std::to_string(omp_threads)}},
                              blas_directory(options, "pthread")});
  configurations.push_back(
      {fmt::format("openmp BLAS, OMP {}", options.threads),
       {program},
       {{"LD_LIBRARY_PATH", blas_directory(options, "openmp")}, {"OMP_NUM_THREADS", std::to_string(options.threads)}},
       blas_directory(options, "openmp")});
  return configurations;
}

bool is_executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

constexpr std::string_view build_peers_hint =
    "not built (bench/peers/setup.sh, then cmake --preset release -DBNRUN_BENCH_PEERS=ON and build)";

// Every program with its configurations, or the reason it cannot run here. Configurations whose OpenBLAS build
// is not installed are left out, and said so in `notes`.
std::vector<Program> discover_programs(const PeerOptions& options, std::vector<std::string>& notes) {
  std::vector<Program> programs;
  const std::string bnrun_binary = options.binary_dir + "/bnrun";
  programs.push_back({"bnrun",
                      true,
                      is_executable(bnrun_binary) ? "" : "not built (cmake --build --preset release)",
                      {{fmt::format("--threads {}", options.threads),
                        {bnrun_binary, "-q", "--threads", std::to_string(options.threads)},
                        {},
                        ""}}});

  Program torch{"PyTorch", false, "", {}};
  const ChildOutput import_check = run_child({options.python, "-c", "import torch, pandas"}, {}, run_timeout);
  if (import_check.exit_code != 0)
    torch.skipped =
        fmt::format("{} cannot import torch and pandas (bench/peers/setup.sh installs them)", options.python);
  else
    torch.configurations = torch_configurations(options);
  programs.push_back(torch);

  Program dlib{"dlib", false, "", {}};
  if (is_executable(options.binary_dir + "/dlib_mlp"))
    dlib.configurations = dlib_configurations(options);
  else
    dlib.skipped = std::string(build_peers_hint);
  programs.push_back(dlib);

  Program mlpack{"mlpack", false, "", {}};
  if (is_executable(options.binary_dir + "/mlpack_mlp"))
    mlpack.configurations = mlpack_configurations(options);
  else
    mlpack.skipped = std::string(build_peers_hint);
  programs.push_back(mlpack);

  for (const char* build : {"pthread", "openmp"})
    if (!fs::is_directory(blas_directory(options, build)))
      notes.push_back(fmt::format("{} is not installed (libopenblas0-{}): its configurations were not tried",
                                  blas_directory(options, build), build));
  for (Program& program : programs) {
    std::erase_if(program.configurations, [](const Configuration& configuration) {
      return !configuration.blas_directory.empty() && !fs::is_directory(configuration.blas_directory);
    });
    if (program.skipped.empty() && program.configurations.empty())
      program.skipped = "no OpenBLAS build to run it with (libopenblas0-pthread / libopenblas0-openmp)";
  }
  return programs;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures.

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

// One configuration's runs of one arm, a result per round.
struct ArmRuns {
  std::vector<RunResult> rounds;

  std::vector<double> samples() const {
    std::vector<double> values;
    for (const RunResult& run : rounds)
      if (!run.error) values.push_back(run.samples_per_second);
    return values;
  }
  std::vector<double> accuracies() const {
    std::vector<double> values;
    for (const RunResult& run : rounds)
      if (!run.error) values.push_back(run.test_accuracy);
    return values;
  }
  bool measured() const { return !samples().empty(); }
  double median_samples() const { return median(samples()); }
  double best() const { return std::ranges::max(samples()); }
  double worst() const { return std::ranges::min(samples()); }
  double spread() const { return best() / worst(); }
  double median_accuracy() const { return median(accuracies()); }
  std::optional<std::string> first_error() const {
    for (const RunResult& run : rounds)
      if (run.error) return run.error;
    return std::nullopt;
  }
};

struct Measured {
  const Program* program = nullptr;
  Configuration configuration;
  std::array<ArmRuns, 2> runs;  // by Arm
  bool best_of_program = false;

  const ArmRuns& of(Arm arm) const { return runs[static_cast<std::size_t>(arm)]; }
  ArmRuns& of(Arm arm) { return runs[static_cast<std::size_t>(arm)]; }
  bool complete() const { return of(Arm::bn).measured() && of(Arm::no_bn).measured(); }
};

// A configuration's screening runs, one per pass; it is ranked by its best.
struct Screened {
  std::string program;
  std::string configuration;
  std::vector<RunResult> passes;
  bool finalist = false;

  std::optional<double> best() const {
    std::optional<double> best;
    for (const RunResult& run : passes)
      if (!run.error) best = std::max(best.value_or(0.0), run.samples_per_second);
    return best;
  }
  std::string error() const {
    for (const RunResult& run : passes)
      if (run.error) return *run.error;
    return "";
  }
};

// Screening runs every configuration twice, the second time in reverse order, so that one noisy moment on a
// shared machine does not decide alone which configurations go on.
constexpr int screening_passes = 2;

// ---------------------------------------------------------------------------------------------------------------
// The session: every run goes through it, numbered, and what the runs report about their programs is kept.

// What the runs report besides their figures.
struct Facts {
  std::map<std::string, std::string> versions;            // program → its version
  std::map<std::string, std::string> libraries;           // program → the libraries it was built with
  std::map<std::string, std::set<std::string>> openblas;  // OpenBLAS build folder ("bnrun": its own) → descriptions

  void remember(const Program& program, const Configuration& configuration, const RunResult& run) {
    if (run.error) return;
    versions[program.name] = run.version;
    libraries[program.name] = run.libraries;
    if (!run.openblas.empty())
      openblas[program.is_bnrun ? "bnrun" : fs::path(configuration.blas_directory).filename().string()].insert(
          run.openblas);
  }

  std::string label(const Program& program) const {
    const auto version = versions.find(program.name);
    return version == versions.end() ? program.name : program.name + " " + version->second;
  }
};

struct Session {
  const PeerOptions& options;
  Workload workload;
  Facts facts;
  int run_count = 0;

  RunResult run(const Program& program, const Configuration& configuration, Arm arm, std::size_t train_rows) {
    RunResult result = run_once(program, configuration, arm, workload, train_rows, ++run_count);
    facts.remember(program, configuration, result);
    return result;
  }
};

// Screens one peer: every configuration, bn, on the first screening_rows rows, in screening_passes passes. Keeps
// the fastest `finalists` in `program` (or marks it skipped when all failed); returns every result, fastest first.
std::vector<Screened> screen(Session& session, Program& program) {
  const std::size_t count = program.configurations.size();
  std::vector<Screened> results;
  for (const Configuration& configuration : program.configurations)
    results.push_back({program.name, configuration.name, {}, false});
  for (int pass = 0; pass < screening_passes; ++pass)
    for (std::size_t step = 0; step < count; ++step) {
      const std::size_t i = pass % 2 == 0 ? step : count - 1 - step;
      const Configuration& configuration = program.configurations[i];
      RunResult run = session.run(program, configuration, Arm::bn, session.options.screening_rows);
      progress(fmt::format("screening {}, pass {}/{}, {}/{}: {}: {}", program.name, pass + 1, screening_passes,
                           step + 1, count, configuration.name,
                           run.error ? *run.error : thousands(run.samples_per_second) + " samples/s"));
      results[i].passes.push_back(std::move(run));
    }
  std::vector<Configuration> finalists;
  std::vector<std::size_t> ranking(count);
  for (std::size_t i = 0; i < count; ++i) ranking[i] = i;
  std::stable_sort(ranking.begin(), ranking.end(), [&](std::size_t a, std::size_t b) {
    return results[a].best().value_or(-1.0) > results[b].best().value_or(-1.0);
  });
  std::vector<Screened> ranked;
  for (const std::size_t i : ranking) {
    ranked.push_back(std::move(results[i]));
    if (ranked.back().best() && finalists.size() < static_cast<std::size_t>(session.options.finalists)) {
      ranked.back().finalist = true;
      finalists.push_back(program.configurations[i]);
    }
  }
  if (finalists.empty()) program.skipped = "every configuration failed in screening: " + ranked.front().error();
  program.configurations = std::move(finalists);
  return ranked;
}

// The rounds: every configuration left, both arms, each round in the same cyclic order started at a different
// offset, so that no program always runs first, last or right after the same neighbour.
std::vector<Measured> run_rounds(Session& session, const std::vector<Program>& programs) {
  std::vector<Measured> measured;
  for (const Program& program : programs)
    if (program.skipped.empty())
      for (const Configuration& configuration : program.configurations)
        measured.push_back({&program, configuration, {}, false});
  std::vector<std::pair<std::size_t, Arm>> jobs;
  for (std::size_t entry = 0; entry < measured.size(); ++entry)
    for (const Arm arm : arms) jobs.emplace_back(entry, arm);
  const auto rounds = static_cast<std::size_t>(session.options.rounds);
  for (std::size_t round = 0; round < rounds; ++round) {
    const std::size_t offset = jobs.size() * round / rounds;
    for (std::size_t step = 0; step < jobs.size(); ++step) {
      const auto& [entry, arm] = jobs[(offset + step) % jobs.size()];
      Measured& target = measured[entry];
      RunResult run = session.run(*target.program, target.configuration, arm, 0);
      progress(fmt::format("round {}/{}, run {}/{}: {} ({}) {}: {}", round + 1, rounds, step + 1, jobs.size(),
                           target.program->name, target.configuration.name, arm_name(arm),
                           run.error ? *run.error
                                     : fmt::format("{} samples/s, test accuracy {:.4f}",
                                                   thousands(run.samples_per_second), run.test_accuracy)));
      target.of(arm).rounds.push_back(std::move(run));
    }
  }
  return measured;
}

struct Winners {
  const Measured* bnrun = nullptr;
  const Measured* fastest_peer = nullptr;

  // bnrun's bn median over the fastest peer's.
  std::optional<double> ratio() const {
    if (!bnrun || !fastest_peer) return std::nullopt;
    return bnrun->of(Arm::bn).median_samples() / fastest_peer->of(Arm::bn).median_samples();
  }
};

// Marks each program's fastest configuration and names the fastest peer: all by bn medians.
Winners mark_winners(const std::vector<Program>& programs, std::vector<Measured>& measured) {
  Winners winners;
  for (const Program& program : programs) {
    Measured* best = nullptr;
    for (Measured& entry : measured)
      if (entry.program == &program && entry.of(Arm::bn).measured() &&
          (!best || entry.of(Arm::bn).median_samples() > best->of(Arm::bn).median_samples()))
        best = &entry;
    if (!best) continue;
    best->best_of_program = true;
    if (program.is_bnrun)
      winners.bnrun = best;
    else if (!winners.fastest_peer ||
             best->of(Arm::bn).median_samples() > winners.fastest_peer->of(Arm::bn).median_samples())
      winners.fastest_peer = best;
  }
  return winners;
}

// ---------------------------------------------------------------------------------------------------------------
// Output.

// A Markdown table whose columns are padded to line up in a terminal too.
void print_table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right_aligned) {
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t column = 0; column < row.size(); ++column)
      widths[column] = std::max(widths[column], row[column].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line = "|";
    for (std::size_t column = 0; column < row.size(); ++column)
      line += right_aligned[column] ? fmt::format(" {:>{}} |", row[column], widths[column])
                                    : fmt::format(" {:<{}} |", row[column], widths[column]);
    fmt::print("{}\n", line);
  };
  print_row(rows.front());
  std::string rule = "|";
  for (std::size_t column = 0; column < widths.size(); ++column)
    rule += right_aligned[column] ? std::string(widths[column] + 1, '-') + ":|"
                                  : std::string(widths[column] + 2, '-') + "|";
  fmt::print("{}\n", rule);
  for (std::size_t i = 1; i < rows.size(); ++i) print_row(rows[i]);
}

struct Machine {
  std::string cpu;
  bool avx2 = false;
  bool avx512 = false;
  unsigned cores = 0;
};

Machine this_machine() {
  Machine machine{cpu::processor_name(), false, false, std::thread::hardware_concurrency()};
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("flags", 0) == 0) {
      std::istringstream flags(line.substr(line.find(':') + 1));
      for (std::string flag; flags >> flag;) {
        machine.avx2 = machine.avx2 || flag == "avx2";
        machine.avx512 = machine.avx512 || flag == "avx512f";
      }
      break;
    }
  return machine;
}

std::string yes_no(bool value) {
  return value ? "yes" : "no";
}

Json arm_json(const ArmRuns& runs) {
  Json per_round = Json::array();
  Json accuracy = Json::array();
  Json errors = Json::array();
  for (const RunResult& run : runs.rounds) {
    per_round.push_back(run.error ? Json() : Json(run.samples_per_second));
    accuracy.push_back(run.error ? Json() : Json(run.test_accuracy));
    if (run.error) errors.push_back(*run.error);
  }
  Json json = {{"samples_per_second", per_round}, {"test_accuracy", accuracy}};
  if (runs.measured()) {
    json["median"] = runs.median_samples();
    json["best"] = runs.best();
    json["worst"] = runs.worst();
    json["spread"] = runs.spread();
    json["median_test_accuracy"] = runs.median_accuracy();
  }
  if (!errors.empty()) json["errors"] = errors;
  return json;
}

Json settings_json(const Settings& settings) {
  Json json = Json::object();
  for (const auto& [name, value] : settings) json[name] = value;
  return json;
}

void print_header(const PeerOptions& options, const Machine& machine, const std::vector<std::string>& notes) {
  fmt::print(
      "Peers: configs/fashion_mnist_bn.json's network (784-256-BN-relu-128-BN-relu-10; no_bn without the BN "
      "layers), Adam, batch 128,\n{} on data/fashion-mnist/train.csv, test accuracy on test.csv, {} "
      "threads for every program, {}.\n",
      counted(options.epochs, "epoch"), options.threads, counted(options.rounds, "interleaved round"));
  fmt::print("CPU: {} ({} cores; AVX2 {}, AVX-512F {}; bnrun's kernels run at level {})\n", machine.cpu, machine.cores,
             yes_no(machine.avx2), yes_no(machine.avx512), cpu::level_name(cpu::active_level()));
  for (const std::string& note : notes) fmt::print("note: {}\n", note);
  std::fflush(stdout);
}

void print_screening(const PeerOptions& options, const std::vector<Screened>& screening) {
  if (screening.empty()) return;
  fmt::print(
      "\nScreening: every configuration of each peer, bn, on the first {} training rows, {}, run twice "
      "(the second pass in reverse order);\nranked by the better run, the fastest {} of each peer go on to "
      "the rounds (->)\n\n",
      thousands(static_cast<double>(options.screening_rows)), counted(options.epochs, "epoch"), options.finalists);
  std::vector<std::vector<std::string>> rows = {{"program", "configuration", "bn samples/s, best", "runs", ""}};
  for (const Screened& result : screening) {
    std::string runs;
    for (const RunResult& run : result.passes)
      runs += (runs.empty() ? "" : ", ") + (run.error ? std::string("failed") : thousands(run.samples_per_second));
    rows.push_back({result.program, result.configuration,
                    result.best() ? thousands(*result.best()) : "failed: " + result.error(), runs,
                    result.finalist ? "->" : ""});
  }
  print_table(rows, {false, false, true, true, false});
}

void print_rounds(const PeerOptions& options, const std::vector<Program>& programs,
                  const std::vector<Measured>& measured, const Facts& facts) {
  fmt::print(
      "\nRounds: {}, every run a separate process on all training rows; samples/s = rows x epochs / "
      "training seconds\n\n",
      counted(options.rounds, "interleaved round"));
  std::vector<std::vector<std::string>> rows = {{"program", "configuration", "bn median", "bn best", "bn worst",
                                                 "no_bn median", "no_bn best", "spread", "BN cost",
                                                 "test acc bn / no_bn"}};
  const std::size_t columns = rows.front().size();
  auto message_row = [&](const std::string& program, const std::string& message) {
    std::vector<std::string> row(columns);
    row[0] = program;
    row[1] = message;
    return row;
  };
  for (const Program& program : programs) {
    if (!program.skipped.empty()) {
      rows.push_back(message_row(facts.label(program), "skipped: " + program.skipped));
      continue;
    }
    for (const Measured& entry : measured) {
      if (entry.program != &program) continue;
      const ArmRuns& bn = entry.of(Arm::bn);
      const ArmRuns& no_bn = entry.of(Arm::no_bn);
      const std::string name = (entry.best_of_program ? "* " : "  ") + entry.configuration.name;
      if (!entry.complete()) {
        const auto error = bn.first_error() ? bn.first_error() : no_bn.first_error();
        rows.push_back(message_row(facts.label(program), name + ": failed: " + error.value_or("?")));
        continue;
      }
      rows.push_back({facts.label(program), name, thousands(bn.median_samples()), thousands(bn.best()),
                      thousands(bn.worst()), thousands(no_bn.median_samples()), thousands(no_bn.best()),
                      fmt::format("{:.2f}", bn.spread()),
                      fmt::format("{:.2f}x", no_bn.median_samples() / bn.median_samples()),
                      fmt::format("{:.4f} / {:.4f}", bn.median_accuracy(), no_bn.median_accuracy())});
    }
  }
  print_table(rows, {false, false, true, true, true, true, true, true, true, false});
}

void print_summary(const std::vector<Program>& programs, const std::vector<Measured>& measured, const Facts& facts,
                   const Winners& winners, int runs, double seconds) {
  fmt::print(
      "\n* the fastest configuration of each program (bn median); samples/s; spread = bn max / min across "
      "rounds; BN cost = bn time / no_bn time (medians);\ntest accuracy: medians. Configurations: pthread / "
      "openmp = which of Debian's OpenBLAS builds is loaded (LD_LIBRARY_PATH), BLAS n = OPENBLAS_NUM_THREADS,"
      "\ntorch n = torch.set_num_threads, OMP n = OMP_NUM_THREADS; eager / script / trace = PyTorch eager or "
      "TorchScript;\ntrainer / direct = dlib's dnn_trainer or its own gradient and update calls.\n");
  std::string versions;
  for (const Program& program : programs) {
    const auto version = facts.versions.find(program.name);
    if (version == facts.versions.end()) continue;
    const std::string& libraries = facts.libraries.at(program.name);
    versions += fmt::format("{}{} {}{}", versions.empty() ? "" : "; ", program.name, version->second,
                            libraries.empty() ? "" : " with " + libraries);
  }
  fmt::print("Versions: {}\n", versions);
  for (const auto& [build, descriptions] : facts.openblas)
    for (const std::string& description : descriptions) fmt::print("OpenBLAS ({}): {}\n", build, description);
  for (const Measured& entry : measured)
    for (const Arm arm : arms)
      if (entry.of(arm).measured() && entry.of(arm).median_accuracy() < lowest_plausible_accuracy)
        fmt::print("warning: {} ({}) {} reached only {:.4f} test accuracy: it did not train as the others did\n",
                   entry.program->name, entry.configuration.name, arm_name(arm), entry.of(arm).median_accuracy());
  if (winners.fastest_peer)
    fmt::print("fastest peer by median: {} ({}), {} samples/s with BN\n", winners.fastest_peer->program->name,
               winners.fastest_peer->configuration.name, thousands(winners.fastest_peer->of(Arm::bn).median_samples()));
  if (const auto ratio = winners.ratio())
    fmt::print("bnrun median / fastest peer median, with BN: {:.2f}x ({} / {} samples/s)\n", *ratio,
               thousands(winners.bnrun->of(Arm::bn).median_samples()),
               thousands(winners.fastest_peer->of(Arm::bn).median_samples()));
  fmt::print("{} runs in {:.0f} s\n", runs, seconds);
  std::fflush(stdout);
}

// The same figures as the tables, for docs and scripts.
Json report_json(const Session& session, const Machine& machine, const std::vector<std::string>& notes,
                 const std::vector<Screened>& screening, const std::vector<Program>& programs,
                 const std::vector<Measured>& measured, const Winners& winners, double seconds) {
  const PeerOptions& options = session.options;
  const Facts& facts = session.facts;
  Json json;
  json["command"] = fmt::format("bnrun_bench --peers --rounds {} --epochs {}", options.rounds, options.epochs);
  json["machine"] = {{"cpu", machine.cpu},
                     {"cores", machine.cores},
                     {"avx2", machine.avx2},
                     {"avx512f", machine.avx512},
                     {"bnrun_cpu_level", cpu::level_name(cpu::active_level())}};
  Json openblas = Json::object();
  for (const auto& [build, descriptions] : facts.openblas)
    openblas[build] = std::vector<std::string>(descriptions.begin(), descriptions.end());
  json["openblas"] = openblas;
  json["workload"] = {{"config", "configs/fashion_mnist_bn.json"},
                      {"epochs", options.epochs},
                      {"threads", options.threads},
                      {"rounds", options.rounds}};
  json["notes"] = notes;
  Json screened = Json::array();
  for (const Screened& result : screening) {
    Json passes = Json::array();
    for (const RunResult& run : result.passes)
      passes.push_back(run.error ? Json{{"error", *run.error}} : Json(run.samples_per_second));
    screened.push_back({{"program", result.program},
                        {"configuration", result.configuration},
                        {"samples_per_second", passes},
                        {"best", result.best() ? Json(*result.best()) : Json()},
                        {"finalist", result.finalist}});
  }
  json["screening"] = {{"train_rows", options.screening_rows}, {"passes", screening_passes}, {"runs", screened}};
  Json program_list = Json::array();
  for (const Program& program : programs) {
    const auto version = facts.versions.find(program.name);
    Json entry = {{"program", program.name},
                  {"version", version == facts.versions.end() ? Json() : Json(version->second)},
                  {"libraries", version == facts.versions.end() ? Json() : Json(facts.libraries.at(program.name))},
                  {"skipped", program.skipped.empty() ? Json() : Json(program.skipped)}};
    Json configurations = Json::array();
    for (const Measured& measured_entry : measured) {
      if (measured_entry.program != &program) continue;
      Json configuration = {{"configuration", measured_entry.configuration.name},
                            {"command", measured_entry.configuration.command},
                            {"environment", settings_json(measured_entry.configuration.environment)},
                            {"best_of_program", measured_entry.best_of_program},
                            {"bn", arm_json(measured_entry.of(Arm::bn))},
                            {"no_bn", arm_json(measured_entry.of(Arm::no_bn))}};
      if (measured_entry.complete())
        configuration["bn_cost"] =
            measured_entry.of(Arm::no_bn).median_samples() / measured_entry.of(Arm::bn).median_samples();
      configurations.push_back(configuration);
    }
    entry["configurations"] = configurations;
    program_list.push_back(entry);
  }
  json["programs"] = program_list;
  json["fastest_peer"] = winners.fastest_peer ? Json{{"program", winners.fastest_peer->program->name},
                                                     {"configuration", winners.fastest_peer->configuration.name},
                                                     {"bn_median", winners.fastest_peer->of(Arm::bn).median_samples()}}
                                              : Json();
  const auto ratio = winners.ratio();
  json["bnrun_over_fastest_peer"] = ratio ? Json(*ratio) : Json();
  json["seconds"] = seconds;
  return json;
}

}  // namespace

int run_peer_benchmark(const PeerOptions& options) {
  const auto start = Clock::now();
  Workload workload{options.source_dir + "/configs/fashion_mnist_bn.json",
                    options.source_dir + "/data/fashion-mnist/train.csv",
                    options.source_dir + "/data/fashion-mnist/test.csv",
                    options.epochs,
                    {}};
  for (const std::string& path : {workload.train_csv, workload.test_csv})
    if (!fs::exists(path)) {
      fmt::print(stderr, "peers: {} is missing (scripts/fashion_mnist.sh makes it)\n", path);
      return 2;
    }
  std::string scratch = (fs::temp_directory_path() / "bnrun_peers.XXXXXX").string();
  if (!::mkdtemp(scratch.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  workload.scratch = scratch;
  Session session{options, workload, {}, 0};

  const Machine machine = this_machine();
  std::vector<std::string> notes;
  std::vector<Program> programs = discover_programs(options, notes);
  print_header(options, machine, notes);

  std::vector<Screened> screening;
  for (Program& program : programs)
    if (program.skipped.empty() && !program.is_bnrun &&
        program.configurations.size() > static_cast<std::size_t>(options.finalists)) {
      std::vector<Screened> results = screen(session, program);
      screening.insert(screening.end(), results.begin(), results.end());
    }
  std::vector<Measured> measured = run_rounds(session, programs);
  fs::remove_all(workload.scratch);
  const Winners winners = mark_winners(programs, measured);
  const double seconds = seconds_since(start);

  print_screening(options, screening);
  print_rounds(options, programs, measured, session.facts);
  print_summary(programs, measured, session.facts, winners, session.run_count, seconds);
  if (!options.json_path.empty()) {
    try {
      write_file_atomically(
          options.json_path,
          report_json(session, machine, notes, screening, programs, measured, winners, seconds).dump(2) + "\n");
    } catch (const std::exception& error) {
      fmt::print(stderr, "peers: {}\n", error.what());
      return 1;
    }
  }
  return winners.bnrun ? 0 : 1;
}

}  // namespace bnrun::bench
