#include "command_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "core/cpu.h"
#include "core/error.h"
#include "distributed/communicator.h"
#include "experiment/arms.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "results/record.h"

namespace bnrun::app {

namespace {

// bnrun --version: the version, then what a bug report needs: the build, the libraries, and this CPU's level.
std::string version_text() {
  const auto compute = bnrun::kernels::compute_with_threads(0);
  const auto environment =
      bnrun::results::current_environment(compute.threads, bnrun::kernels::matmul_backend_description(compute.matmul));
  std::vector<std::string> supported;
  for (const auto level : bnrun::cpu::supported_levels()) supported.emplace_back(bnrun::cpu::level_name(level));
  return fmt::format(
      "bnrun {}\n"
      "build:   {} build, {}, C++{}\n"
      "BLAS:    {}\n"
      "threads: {}, {} by default here\n"
      "MPI:     {}\n"
      "CPU:     {}; kernels at the {} level (this CPU supports: {})",
      BNRUN_VERSION, std::string_view(BNRUN_BUILD_TYPE).empty() ? "unspecified" : BNRUN_BUILD_TYPE,
      environment.compiler, __cplusplus / 100 % 100, environment.blas, bnrun::kernels::openmp_description(),
      environment.threads, bnrun::distributed::library_description(), environment.cpu, environment.cpu_level,
      fmt::join(supported, ", "));
}

// "bn, no_bn": the arm kinds, for --help.
std::string arm_kinds_text() {
  std::string text;
  for (const auto& kind : experiment::arm_kinds()) text += fmt::format("{}{}", text.empty() ? "" : ", ", kind.name);
  return text;
}

// The main options each command reads; logging (-q, -v, --log-level) is for every command. Training reads them all.
struct OptionUse {
  Command command;
  std::string_view name;  // as typed after "bnrun"
  std::vector<std::string_view> options;
};

const std::vector<OptionUse>& option_uses() {
  static const std::vector<std::string_view> plan_options = {"--config", "--set",  "--sweep",  "--seeds",
                                                             "--folds",  "--arms", "--variant"};
  static const std::vector<OptionUse> uses = {
      {Command::validate, "validate", plan_options},
      {Command::summary, "summary", [] {
         auto options = plan_options;
         options.push_back("--threads");
         return options;
       }()},
      {Command::predict, "predict", {"--threads"}},
      {Command::eval, "eval", {"--threads"}},
      {Command::compare, "compare", {}},
      {Command::claims, "claims", {"--set", "--output", "--jobs", "--threads"}},
      {Command::collect, "collect", {"--threads"}},
      {Command::slurm, "slurm", [] {
         auto options = plan_options;
         options.insert(options.end(), {"--output", "--dry-run", "--resume", "--jobs"});
         return options;
       }()},
      {Command::schema, "schema", {}},
      {Command::complete, "__complete", {"--config", "--set"}},
  };
  return uses;
}

constexpr std::string_view logging_options[] = {"--quiet", "--verbose", "--log-level"};

// The examples at the foot of each command's --help, and where to read more. `docs` is where the README and
// docs/ are for this binary (apps/bnrun/shipped_files.h).
std::string footer(std::string_view examples, const std::string& docs, std::initializer_list<std::string_view> more) {
  std::string text = fmt::format("\nExamples:\n{}\nMore: man bnrun; {}/README.md", examples, docs);
  for (const auto document : more) text += fmt::format(", {}/docs/{}", docs, document);
  return text;
}

// Declares the main option `name` (its long name, as option_uses lists it) on `target`, filling `options`. The
// same declaration serves the main app (training) and each subcommand that reads the option, so that the
// subcommand's --help lists it. A value given before the subcommand's name goes to the main app's copy and one
// given after it to the subcommand's; CLI11 runs the main app's callbacks first, so list options (--set, --sweep,
// --arms) add up in the order typed and for a single value the later one wins.
void declare_option(CLI::App& target, std::string_view name, Options& options, const std::string& configs) {
  const auto append_to = [](std::vector<std::string>& list) {
    return [&list](const std::vector<std::string>& values) { list.insert(list.end(), values.begin(), values.end()); };
  };
  if (name == "--config") {
    target
        .add_option("-c,--config", options.config_path,
                    "JSON experiment config: a path, or the name of a shipped config (iris_bn, smoke, ...: looked up "
                    "in " + configs + " when no such file is here); keys: docs/CONFIG.md")
        ->type_name("FILE");
  } else if (name == "--output") {
    target
        .add_option("-o,--output", options.output_directory,
                    "folder for the results: results.json, history, report.md, plots/; with seeds or a sweep one "
                    "folder per run plus summary.json, summary.csv (relative: to the current folder)")
        ->type_name("DIR");
  } else if (name == "--set") {
    target
        .add_option_function<std::vector<std::string>>(
            "-s,--set", append_to(options.overrides),
            "override a config key, e.g. --set training.batch_size=64 --set model.layers[1].momentum=0.9")
        ->type_name("KEY=VALUE")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  } else if (name == "--sweep") {
    target
        .add_option_function<std::vector<std::string>>(
            "--sweep", append_to(options.sweeps),
            "run every value of a config key, e.g. --sweep training.batch_size=8,16,32; repeat for a grid "
            "(the product); adds to the config's \"sweep\" section")
        ->type_name("KEY=V1,V2,...")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  } else if (name == "--seeds") {
    target
        .add_option("--seeds", options.seeds,
                    "run each setting with N seeds (training.seed, +1, ...) or the listed ones (1,5,9); reports mean "
                    "± std and the paired bn - no_bn difference with a 95 % interval")
        ->type_name("N|S1,S2,...");
  } else if (name == "--folds") {
    target
        .add_option("--folds", options.folds,
                    "cross-validate: each run becomes K runs, one per fold of the data (stratified), with the paired "
                    "intervals corrected for the folds' shared training rows (dataset.cross_validation; "
                    "docs/STUDIES.md)")
        ->check(CLI::Range(2, 1000))
        ->type_name("K");
  } else if (name == "--jobs") {
    target.add_option("-j,--jobs", options.jobs, "train this many runs at once; they share the threads (default 1)")
        ->check(CLI::Range(1, 256));
  } else if (name == "--dry-run") {
    target.add_flag("--dry-run", options.dry_run, "list the runs a sweep or seed list expands to; train nothing");
  } else if (name == "--overwrite") {
    target.add_flag("--overwrite", options.overwrite, "replace the results in an existing --output folder");
  } else if (name == "--resume") {
    target.add_flag("--resume", options.resume, "keep the finished runs in --output and run only the missing ones");
  } else if (name == "--shard") {
    target
        .add_option("--shard", options.shard,
                    "train only shard I of N of the study (runs I+1, I+1+N, ...; I from 0, as $SLURM_ARRAY_TASK_ID) "
                    "into the --output folder every shard shares; the last to finish writes the summary "
                    "(docs/STUDIES.md)")
        ->type_name("I/N");
  } else if (name == "--save-model") {
    target.add_flag("--save-model", options.save_model,
                    "also write model_<arm>.json (weights, BN statistics, scaler, labels) and the test rows "
                    "(test.csv)");
  } else if (name == "--init-from") {
    target
        .add_option("--init-from", options.init_from,
                    "start every arm from the weights in this model file instead of the seeded initialization")
        ->type_name("MODEL");
  } else if (name == "--arms") {
    target
        .add_option_function<std::vector<std::string>>(
            "--arms", append_to(options.arms),
            "the arms to train, by name: the config's (experiment.arms) or an arm kind (" + arm_kinds_text() +
                "); default: the config's arms")
        ->delimiter(',')
        ->type_name("A,B,...");
  } else if (name == "--variant") {
    target
        .add_option("--variant", options.variant,
                    "bn, no_bn or both: the same as --arms bn, --arms no_bn, --arms bn,no_bn")
        ->check(CLI::IsMember({"bn", "no_bn", "both"}))
        ->excludes("--arms");
  } else if (name == "--threads") {
    target
        .add_option("-t,--threads", options.threads,
                    "threads in all (default: every core); results do not depend on it")
        ->check(CLI::Range(1, 1024));
  } else if (name == "--quiet") {
    target.add_flag("-q,--quiet", options.quiet, "print only the result table and errors");
  } else if (name == "--verbose") {
    target.add_flag("-v,--verbose", options.verbose, "log every epoch");
  } else if (name == "--log-level") {
    target.add_option("--log-level", options.log_level, "trace, debug, info, warn, error, critical or off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  } else {
    throw std::logic_error(fmt::format("declare_option: no main option {}", name));
  }
}

// Every main option, in the order the main --help lists them.
constexpr std::string_view main_options[] = {"--config",    "--output",     "--set",       "--sweep",  "--seeds",
                                             "--folds",     "--jobs",       "--dry-run",   "--overwrite", "--resume",
                                             "--shard",     "--save-model", "--init-from", "--arms",      "--variant",
                                             "--threads",   "--quiet",      "--verbose",   "--log-level"};

const OptionUse& use_of(Command command) {
  for (const auto& use : option_uses())
    if (use.command == command) return use;
  throw std::logic_error("use_of: a command without an entry in option_uses");
}

// Declares on `subcommand` the main options `command` reads (option_uses) and the logging ones.
void declare_used_options(CLI::App& subcommand, Command command, Options& options, const std::string& configs) {
  const auto& used = use_of(command).options;
  // In main_options' order, so every command's --help lists them alike.
  for (const auto name : main_options)
    if (std::find(used.begin(), used.end(), name) != used.end() ||
        std::find(std::begin(logging_options), std::end(logging_options), name) != std::end(logging_options))
      declare_option(subcommand, name, options, configs);
}

}  // namespace

Subcommands::Subcommands(CLI::App& app, CommandLine& line, const ShippedFiles& shipped) {
  const std::string configs = shipped.configs.string();
  const std::string docs = shipped.docs.string();
  app.name("bnrun");
  app.description(
      "bnrun: train an MLP with and without BatchNorm from one JSON config, from the same seed, and compare them;\n"
      "over many seeds and sweeps of any config key when asked. Prints a table on stdout, logs on stderr.\n"
      "Exit codes: 0 ok, 2 bad command line / config / data, or a run that failed or diverged; 1 internal error.");
  app.set_version_flag("--version", version_text, "print the version, how bnrun was built and what it uses here");
  app.footer(footer(
      "  bnrun -c iris_bn.json                                 train bn and no_bn, print the comparison\n"
      "  bnrun -c iris_bn.json -o out/iris                     ... and write results.json, report.md, plots\n"
      "  bnrun -c iris_bn.json --seeds 10 -o out/seeds         mean ± std over 10 seeds, paired bn - no_bn\n"
      "  bnrun -c iris_bn.json --sweep training.batch_size=8,32 --sweep "
      "training.optimizer.learning_rate=0.001,0.01 \\\n"
      "        --seeds 5 -j 2 -o out/grid                      a 2 × 2 grid, 5 seeds each, two runs at a time\n"
      "  bnrun -c iris_bn.json --set training.seed=7 --set model.layers[1].momentum=0.9\n"
      "  bnrun -c iris_bn.json --seeds 5 --set 'experiment.arms=[\"bn\",\"no_bn\",{\"name\":\"bn_m09\",\"kind\":\"bn\","
      "\"momentum\":0.9}]'\n"
      "                                                        a third arm, paired against no_bn like bn\n"
      "  bnrun -c iris_bn.json -o out/m --save-model           ... then: bnrun eval --model out/m/model_bn.json --data "
      "out/m/test.csv\n"
      "  bnrun -c iris_bn.json --seeds 20 -o out/big --shard 0/4   one of four shards, anywhere; the last\n"
      "                                                        to finish (or bnrun collect out/big) writes the "
      "summary\n"
      "  bnrun compare out/iris out/grid                       one table, only the settings that differ\n"
      "  bnrun validate -c iris_bn.json                        print the resolved config\n"
      "  bnrun summary -c iris_bn.json                         layer table with parameter counts\n"
      "Each command's own options and examples: bnrun COMMAND --help. Shipped configs: " + configs,
      docs, {"CONFIG.md", "STUDIES.md"}));
  Options& options = line.options;
  for (const auto name : main_options) declare_option(app, name, options, configs);
  // Hidden: the man page, written from this very declaration at build time (apps/bnrun/manual_page.h).
  app.add_flag("--help-man", line.manual_page, "print the man page (roff) and exit")->group("");

  validate_ = app.add_subcommand(
      "validate", "check a config and the data it reads (every run's files, columns and output width), and print the "
                  "config with every default filled in; trains nothing");
  declare_used_options(*validate_, Command::validate, options, configs);
  validate_->add_flag("--config-only", line.options.config_only,
                      "check the config alone, not its data files (for data that is made later)");
  validate_->footer(footer(
      "  bnrun validate -c iris_bn.json                               the resolved config, every default filled in\n"
      "  bnrun validate -c iris_bn.json --set training.batch_size=16  an override, checked as if it were in the file\n"
      "  bnrun validate -c fashion_mnist_bn.json --config-only        the config alone, before its data is made\n"
      "  bnrun validate -c iris_bn.json --sweep training.batch_size=8,32 --seeds 3   every run of a study",
      docs, {"CONFIG.md"}));

  summary_ = app.add_subcommand("summary", "print each arm's layers, output shapes and parameter counts");
  declare_used_options(*summary_, Command::summary, options, configs);
  summary_->footer(footer(
      "  bnrun summary -c iris_bn.json                                 bn and no_bn: shapes, parameters\n"
      "  bnrun summary -c iris_bn.json --arms layernorm,groupnorm      the model each of these arms trains\n"
      "  bnrun summary -c iris_bn.json --set model.layers[0].units=128 after an override",
      docs, {"SEMANTICS.md"}));

  predict_ = app.add_subcommand("predict", "predict a CSV's rows with a saved model (--save-model)");
  declare_used_options(*predict_, Command::predict, options, configs);
  predict_->add_option("-m,--model", line.predict.model_path, "model file written by --save-model")
      ->type_name("MODEL")
      ->required();
  predict_->add_option("-d,--data", line.predict.data_path, "CSV with the model's feature columns (by name)")
      ->type_name("CSV")
      ->required();
  predict_
      ->add_option("-o,--output", line.predict.output_path,
                   "write the predictions here (default: stdout): row,predicted,p_<class>...")
      ->type_name("CSV");
  predict_->footer(footer(
      "  bnrun -c iris_bn.json -o out/m --save-model                       first: model files and the test rows\n"
      "  bnrun predict -m out/m/model_bn.json -d out/m/test.csv            row,predicted,p_<class>... on stdout\n"
      "  bnrun predict -m out/m/model_bn.json -d new.csv -o preds.csv      the same into a file",
      docs, {"STUDIES.md"}));

  eval_ = app.add_subcommand("eval", "test accuracy and loss of a saved model on a labelled CSV");
  declare_used_options(*eval_, Command::eval, options, configs);
  eval_->add_option("-m,--model", line.eval.model_path, "model file written by --save-model")
      ->type_name("MODEL")
      ->required();
  eval_->add_option("-d,--data", line.eval.data_path, "CSV with the feature columns and the target column")
      ->type_name("CSV")
      ->required();
  eval_->add_flag("--json", line.eval.json, "print {\"accuracy\", \"loss\"} as JSON with full precision");
  eval_->footer(footer(
      "  bnrun -c iris_bn.json -o out/m --save-model                  first: model files and the test rows\n"
      "  bnrun eval -m out/m/model_bn.json -d out/m/test.csv          exactly the run's test accuracy and loss\n"
      "  bnrun eval -m out/m/model_no_bn.json -d data.csv --json      {\"accuracy\", \"loss\"} for scripts",
      docs, {"STUDIES.md"}));
  for (const auto& [subcommand, model_options] : {std::pair{predict_, &line.predict}, std::pair{eval_, &line.eval}})
    subcommand->add_flag("--allow-special-file", model_options->allow_special_file,
                         "let --data be a FIFO, /dev/stdin or a device (refused otherwise: it could wait forever or "
                         "never end)");
  for (const auto& [subcommand, model_options] : {std::pair{predict_, &line.predict}, std::pair{eval_, &line.eval}})
    subcommand
        ->add_option("--delimiter", model_options->delimiter,
                     "the cell delimiter of --data: one character (\";\", \"|\"), \"tab\", or \"auto\" (the default: "
                     "found from the file's header and rows, and the training data's when they do not tell)")
        ->type_name("CHAR");

  compare_ = app.add_subcommand("compare", "one table across finished runs, showing the settings that differ");
  declare_used_options(*compare_, Command::compare, options, configs);
  compare_->add_option("paths", line.compare_paths, "output folders (or results files) of earlier runs")
      ->type_name("DIR")
      ->required();
  compare_->footer(footer(
      "  bnrun compare out/iris out/grid                 every run of both, only the settings that differ\n"
      "  bnrun compare out/a/results.json out/b          a results file and a run folder",
      docs, {"STUDIES.md"}));

  claims_ = app.add_subcommand(
      "claims",
      "run claim configs (a path, or a shipped claim's name: " + configs + "/claims/; -o default out/claims) and "
      "write a document with the numbers, plots and a verdict per judged arm of each claim");
  declare_used_options(*claims_, Command::claims, options, configs);
  claims_->get_option("--output")->description("folder for the claims' studies, one folder each (default out/claims)");
  claims_->add_option("configs", line.claims.configs, "claim configs: studies with a \"claim\" section")
      ->type_name("CONFIG")
      ->required();
  claims_
      ->add_option("--doc", line.claims.document, "the markdown document to write (plots go beside it, in claims/)")
      ->type_name("FILE");
  claims_->footer(footer(
      "  bnrun claims regularization.json --doc claims.md            one shipped claim, judged, into claims.md\n"
      "  bnrun claims convergence.json depth.json -j 2 -o out/c --doc out/c.md   two claims, two runs at a time\n"
      "  bnrun claims my_claim.json --set training.epochs=5 --doc quick.md       a quick look at your own claim",
      docs, {"CLAIMS.md"}));

  collect_ = app.add_subcommand(
      "collect", "rebuild a study's summary.json, summary.csv, report.md and plots from its run folders (after --shard)");
  declare_used_options(*collect_, Command::collect, options, configs);
  collect_->add_option("directory", line.collect_directory, "the study's --output folder")->type_name("DIR")->required();
  collect_->footer(footer(
      "  bnrun -c iris_bn.json --seeds 20 -o out/big --shard 1/4     one of four shards (run all four, anywhere)\n"
      "  bnrun collect out/big                                       the summary, once every shard has finished",
      docs, {"STUDIES.md"}));

  slurm_ = app.add_subcommand(
      "slurm",
      "run a study as a Slurm job array (one run per task, --shard) with a collect job after it: writes "
      "DIR/slurm/array.sh and collect.sh, submits both with sbatch and prints the job ids (docs/SCALE.md)");
  declare_used_options(*slurm_, Command::slurm, options, configs);
  slurm_->get_option("--output")
      ->description("the study's folder, shared by every task: run folders, summary, and the job scripts and logs in "
                    "DIR/slurm/");
  slurm_->add_option("--partition", line.slurm.partition, "sbatch --partition")->type_name("P");
  slurm_->add_option("--time", line.slurm.time, "sbatch --time: each task's time limit")->type_name("T");
  slurm_->add_option("--cpus-per-task", line.slurm.cpus_per_task,
                     "sbatch --cpus-per-task: each task's threads (default 1)")
      ->check(CLI::Range(1, 4096))
      ->type_name("C");
  slurm_->add_option("--mem", line.slurm.mem, "sbatch --mem: each task's memory")->type_name("M");
  slurm_->add_option("--account", line.slurm.account, "sbatch --account")->type_name("A");
  slurm_->add_option("--max-parallel", line.slurm.max_parallel, "at most K tasks at once (--array=...%K)")
      ->check(CLI::Range(1, 1000000))
      ->type_name("K");
  slurm_->footer(footer(
      "  bnrun slurm -c iris_bn.json --seeds 3 --sweep training.batch_size=16,32 -o study --max-parallel 4\n"
      "  bnrun slurm -c iris_bn.json --seeds 20 -o study --partition short --time 00:10:00 --dry-run   scripts only\n"
      "  bnrun slurm -c iris_bn.json --seeds 20 -o study --resume      submit only the runs still missing",
      docs, {"SCALE.md"}));

  schema_ = app.add_subcommand("schema",
                               "print the config's JSON Schema (draft 2020-12), for editors to complete and check "
                               "configs that name it in \"$schema\"");
  declare_used_options(*schema_, Command::schema, options, configs);
  schema_->add_option("-o,--output", line.schema_path, "write it to FILE instead of printing it")->type_name("FILE");
  schema_->footer(footer(
      "  bnrun schema -o bnrun-config.schema.json      then, in a config: \"$schema\": \"./bnrun-config.schema.json\"\n"
      "  bnrun schema | python3 -m json.tool           read it",
      docs, {"CONFIG.md"}));

  // Hidden: what the bash completion script asks (apps/bnrun/completion.h).
  complete_ = app.add_subcommand("__complete", "answers for the shell completion script");
  complete_->group("");
  declare_used_options(*complete_, Command::complete, options, configs);
  complete_->add_option("what", line.complete.what, "subcommands, options, configs or keys")
      ->check(CLI::IsMember({"subcommands", "options", "configs", "keys"}))
      ->required();
  complete_->add_option("command", line.complete.command, "for options: the subcommand (none: the main options)");

  for (auto* subcommand :
       {validate_, summary_, predict_, eval_, compare_, claims_, collect_, slurm_, schema_, complete_})
    subcommand->fallthrough();
  app.require_subcommand(0, 1);
  // The help to see is the command's own: the subcommand that was named, when one was (its name is parsed before
  // its options, so it is known when they fail).
  app.failure_message([](const CLI::App* failed, const CLI::Error& error) {
    std::string command = "bnrun";
    for (const CLI::App* subcommand : failed->get_subcommands()) command += " " + subcommand->get_name();
    return fmt::format("error: {} (see {} --help)\n", error.what(), command);
  });
}

Command Subcommands::chosen() const {
  if (validate_->parsed()) return Command::validate;
  if (summary_->parsed()) return Command::summary;
  if (predict_->parsed()) return Command::predict;
  if (eval_->parsed()) return Command::eval;
  if (compare_->parsed()) return Command::compare;
  if (claims_->parsed()) return Command::claims;
  if (collect_->parsed()) return Command::collect;
  if (slurm_->parsed()) return Command::slurm;
  if (schema_->parsed()) return Command::schema;
  if (complete_->parsed()) return Command::complete;
  return Command::train;
}

void Subcommands::refuse_unused_options(const CLI::App& app) const {
  const Command command = chosen();
  for (const auto& use : option_uses()) {
    if (use.command != command) continue;
    for (const CLI::Option* option : app.get_options()) {
      if (option->count() == 0 || option->get_lnames().empty()) continue;
      const std::string name = "--" + option->get_lnames().front();
      const auto is = [&](std::string_view used) { return used == name; };
      if (std::any_of(use.options.begin(), use.options.end(), is) ||
          std::any_of(std::begin(logging_options), std::end(logging_options), is))
        continue;
      throw UserError(fmt::format("bnrun {} does not use {}: it would change nothing (see bnrun {} --help for its "
                                  "options)",
                                  use.name, name, use.name));
    }
  }
}

std::string quoted_command_line(int argc, char** argv) {
  std::string text;
  for (int i = 0; i < argc; ++i) {
    std::string argument = i == 0 ? "bnrun" : argv[i];
    const bool plain = !argument.empty() && argument.find_first_of(" \t\"'[]{}$*?;&|<>()\\") == std::string::npos;
    if (!plain) {
      std::string escaped = "'";
      for (const char c : argument) escaped += c == '\'' ? std::string("'\\''") : std::string(1, c);
      argument = escaped + "'";
    }
    text += (i == 0 ? "" : " ") + argument;
  }
  return text;
}

}  // namespace bnrun::app
