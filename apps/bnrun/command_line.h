// bnrun's options and subcommands, as CLI11 sees them: what each flag means and fills in. main.cpp decides
// what to do with them.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "shipped_files.h"

namespace bnrun::app {

struct Options {
  std::string config_path;
  std::string output_directory;
  std::vector<std::string> overrides;
  std::vector<std::string> sweeps;
  std::string seeds;
  int folds = 0;  // --folds K: dataset.cross_validation.folds=K; 0: as the config says
  std::string variant;
  std::vector<std::string> arms;
  int threads = 0;  // 0: kernels::available_threads()
  int jobs = 1;
  bool dry_run = false;
  bool config_only = false;  // validate: the config alone, not its data files
  bool overwrite = false;
  bool resume = false;
  std::string shard;  // "I/N": train only shard I of the study (study/shards.h)
  bool save_model = false;
  std::string init_from;
  bool quiet = false;
  bool verbose = false;
  std::string log_level;
  std::string command_line;  // as typed, quoted for a shell (report.md)
};

struct ModelOptions {
  std::string model_path;
  std::string data_path;
  std::string output_path;
  bool json = false;
  bool allow_special_file = false;  // --data may be a FIFO or /dev/stdin
  std::string delimiter = "auto";   // --delimiter, as data::delimiter_from_text reads it
};

struct ClaimsOptions {
  std::vector<std::string> configs;
  std::string document = "docs/CLAIMS.md";
};

// bnrun slurm's own options; unset ones leave the config's launcher.slurm values.
struct SlurmOptions {
  std::optional<std::string> partition, time, mem, account;
  std::optional<int> cpus_per_task, max_parallel;
};

// What the bash completion script asks (bnrun __complete WHAT [COMMAND]; apps/bnrun/completion.h).
struct CompleteOptions {
  std::string what;     // subcommands, options, configs or keys
  std::string command;  // for options: the subcommand whose options (empty: the main app's)
};

enum class Command { train, validate, summary, predict, eval, compare, claims, collect, slurm, schema, complete };

struct CommandLine {
  Options options;
  ModelOptions predict;
  ModelOptions eval;
  std::vector<std::string> compare_paths;
  ClaimsOptions claims;
  std::string collect_directory;
  SlurmOptions slurm;
  CompleteOptions complete;
  std::string schema_path;  // bnrun schema -o FILE (empty: stdout)
  bool manual_page = false;  // --help-man
};

// Declares every option and subcommand of `app`, each filling its field of `line` when parsed. Returns what
// tells the subcommands apart after parsing.
class Subcommands {
 public:
  // `shipped` is where this binary's configs and docs are: --help names them.
  Subcommands(CLI::App& app, CommandLine& line, const ShippedFiles& shipped);
  // The subcommand given, or train when there is none.
  Command chosen() const;
  // Throws UserError naming the first option given that the chosen command would ignore (bnrun eval --seeds 9):
  // an option that is accepted and changes nothing misleads.
  void refuse_unused_options(const CLI::App& app) const;

 private:
  CLI::App* validate_;
  CLI::App* summary_;
  CLI::App* predict_;
  CLI::App* eval_;
  CLI::App* compare_;
  CLI::App* claims_;
  CLI::App* collect_;
  CLI::App* slurm_;
  CLI::App* schema_;
  CLI::App* complete_;
};

// argv as one line a shell would run again ("bnrun" for argv[0]; arguments quoted where needed).
std::string quoted_command_line(int argc, char** argv);

}  // namespace bnrun::app
