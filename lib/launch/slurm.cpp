#include "launch/slurm.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/json_reader.h"
#include "core/process.h"
#include "study/runner.h"
#include "study/shards.h"

namespace bnrun::launch {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Slurm's default MaxArraySize: indices 0 … 1000.
constexpr std::size_t default_max_array_size = 1001;

// A value written into an #SBATCH line: one line, no spaces (Slurm would take the rest as another word).
std::string sbatch_value(ObjectReader& reader, std::string_view key) {
  const std::string value = reader.string_or(key, "");
  if (value.find_first_of(" \t\r\n") != std::string::npos)
    throw KeyPathError(reader.path_of(key), fmt::format("expected one word, got \"{}\"", value));
  return value;
}

std::vector<std::string> line_list(ObjectReader& reader, std::string_view key, bool sbatch_options) {
  const auto lines = reader.string_list_or(key, {});
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string path = fmt::format("{}[{}]", reader.path_of(key), i);
    if (lines[i].find_first_of("\r\n") != std::string::npos)
      throw KeyPathError(path, "expected one line, got text with a line break");
    if (sbatch_options && (lines[i].empty() || lines[i][0] != '-'))
      throw KeyPathError(path, fmt::format("expected an sbatch option such as \"--qos=normal\", got \"{}\"", lines[i]));
  }
  return lines;
}

// MaxArraySize from `scontrol show config`, or Slurm's default when it cannot be asked.
std::size_t cluster_max_array_size() {
  try {
    const auto result = run_process({"scontrol", "show", "config"});
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("MaxArraySize", 0) != 0) continue;
      const auto equals = line.find('=');
      if (equals != std::string::npos) return std::stoul(line.substr(equals + 1));
    }
  } catch (const std::exception&) {
  }
  return default_max_array_size;
}

std::string sbatch_header(const SlurmSettings& settings, const std::string& job_name, const std::string& log_pattern) {
  std::string text = "#!/bin/bash\n";
  text += fmt::format("#SBATCH --job-name={}\n#SBATCH --output={}\n", job_name, log_pattern);
  text += fmt::format("#SBATCH --cpus-per-task={}\n", settings.cpus_per_task);
  if (!settings.partition.empty()) text += fmt::format("#SBATCH --partition={}\n", settings.partition);
  if (!settings.time.empty()) text += fmt::format("#SBATCH --time={}\n", settings.time);
  if (!settings.mem.empty()) text += fmt::format("#SBATCH --mem={}\n", settings.mem);
  if (!settings.account.empty()) text += fmt::format("#SBATCH --account={}\n", settings.account);
  for (const auto& line : settings.sbatch_lines) text += fmt::format("#SBATCH {}\n", line);
  return text;
}

std::string script_body(const SlurmSettings& settings, const std::string& working_directory,
                        const std::vector<std::string>& command) {
  std::string text = "set -euo pipefail\n";
  for (const auto& line : settings.setup_lines) text += line + "\n";
  text += fmt::format("cd {}\n", shell_quoted(working_directory));
  std::vector<std::string> words;
  for (const auto& word : command) words.push_back(word.starts_with("\"$") ? word : shell_quoted(word));
  // exec: scancel's SIGTERM reaches bnrun itself, which stops after its batch and records the run as interrupted.
  return text + fmt::format("exec {}\n", fmt::join(words, " "));
}

// The job id of `sbatch --parsable` ("1234" or "1234;cluster").
std::string submit(const std::vector<std::string>& argv) {
  const auto result = run_process(argv);
  std::string message = result.err.empty() ? result.out : result.err;
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  if (result.exit_code != 0)
    throw UserError(fmt::format("sbatch failed (exit {}): {}", result.exit_code,
                                message.empty() ? "it printed nothing" : message));
  std::string id = result.out.substr(0, result.out.find_first_of(";\n"));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw UserError(fmt::format("sbatch printed no job id: {}", message));
  return id;
}

}  // namespace

SlurmSettings read_slurm_settings(const json& launcher, const std::string& config_path) {
  SlurmSettings settings;
  if (launcher.is_null()) return settings;
  try {
    ObjectReader top(launcher, "launcher");
    if (const json* slurm = top.optional("slurm")) {
      ObjectReader reader(*slurm, "launcher.slurm");
      settings.partition = sbatch_value(reader, "partition");
      settings.time = sbatch_value(reader, "time");
      settings.mem = sbatch_value(reader, "mem");
      settings.account = sbatch_value(reader, "account");
      settings.cpus_per_task = static_cast<int>(reader.integer_or("cpus_per_task", 1, 1, 4096));
      settings.max_parallel = static_cast<int>(reader.integer_or("max_parallel", 0, 1, 1'000'000));
      settings.sbatch_lines = line_list(reader, "sbatch", true);
      settings.setup_lines = line_list(reader, "setup", false);
      reader.finish();
    }
    top.finish();
  } catch (const KeyPathError& error) {
    throw UserError(fmt::format("{}: {}", config_path, error.what()));
  }
  return settings;
}

void apply_overrides(SlurmSettings& settings, const SlurmOverrides& overrides) {
  if (overrides.partition) settings.partition = *overrides.partition;
  if (overrides.time) settings.time = *overrides.time;
  if (overrides.mem) settings.mem = *overrides.mem;
  if (overrides.account) settings.account = *overrides.account;
  if (overrides.cpus_per_task) settings.cpus_per_task = *overrides.cpus_per_task;
  if (overrides.max_parallel) settings.max_parallel = *overrides.max_parallel;
}

std::string array_ranges(const std::vector<std::size_t>& indices) {
  std::string text;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    text += (text.empty() ? "" : ",") +
            (j == i ? std::to_string(indices[i]) : fmt::format("{}-{}", indices[i], indices[j]));
    i = j + 1;
  }
  return text;
}

SlurmSubmission submit_study(const SlurmRequest& request) {
  const study::Plan& plan = request.plan;
  if (request.output_directory.empty())
    throw UserError("bnrun slurm needs --output DIR: the folder every array task writes its runs to");
  if (!plan.is_study)
    throw UserError("bnrun slurm runs a study's runs as array tasks: give --seeds or a sweep");
  const std::string directory = fs::absolute(request.output_directory).lexically_normal().string();
  study::freeze_or_check_plan(plan, directory, request.command_line);

  // One run per task when the cluster takes that many indices; else chunks, each a shard of several runs.
  const std::size_t max_array_size = request.max_array_size.value_or(cluster_max_array_size());
  SlurmSubmission submission;
  submission.shards = std::min(plan.runs.size(), std::max<std::size_t>(1, max_array_size));
  std::vector<std::size_t> tasks;
  for (std::size_t shard = 0; shard < submission.shards; ++shard) {
    const auto part = study::shard_plan(plan, {shard, submission.shards});
    std::size_t to_train = 0;
    for (const auto& run : part.runs)
      if (!request.resume || !study::read_run_result(plan, run, directory)) ++to_train;
    if (to_train == 0) continue;
    tasks.push_back(shard);
    submission.runs += to_train;
  }
  submission.tasks = tasks.size();

  const fs::path slurm_folder = fs::path(directory) / "slurm";
  std::error_code error;
  fs::create_directories(slurm_folder / "logs", error);
  if (error)
    throw UserError(fmt::format("{}: cannot make the folder for the job scripts: {}", slurm_folder.string(),
                                error.message()));
  const std::string job_name = fmt::format("bnrun-{}", plan.runs.front().config.name);
  std::vector<std::string> train = {request.bnrun_path};
  train.insert(train.end(), request.plan_arguments.begin(), request.plan_arguments.end());
  train.insert(train.end(), {"--output", directory, "--shard",
                             fmt::format("\"${{SLURM_ARRAY_TASK_ID}}/{}\"", submission.shards), "--threads",
                             "\"${SLURM_CPUS_PER_TASK:-1}\""});
  submission.array_script = (slurm_folder / "array.sh").string();
  submission.collect_script = (slurm_folder / "collect.sh").string();
  write_file_atomically(submission.array_script,
                        sbatch_header(request.settings, job_name, (slurm_folder / "logs" / "%A_%a.out").string()) +
                            script_body(request.settings, request.working_directory, train));
  SlurmSettings collect_settings = request.settings;
  collect_settings.cpus_per_task = 1;
  write_file_atomically(
      submission.collect_script,
      sbatch_header(collect_settings, job_name + "-collect", (slurm_folder / "logs" / "collect_%j.out").string()) +
          script_body(collect_settings, request.working_directory, {request.bnrun_path, "collect", directory}));
  fs::permissions(submission.array_script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add, error);
  fs::permissions(submission.collect_script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add,
                  error);

  if (tasks.empty()) {
    submission.report = fmt::format(
        "every run of the study in {} has its result: nothing to submit (bnrun collect {} rebuilds the summary)\n",
        directory, directory);
    return submission;
  }
  submission.array_spec = array_ranges(tasks);
  if (request.settings.max_parallel > 0) submission.array_spec += fmt::format("%{}", request.settings.max_parallel);
  const std::vector<std::string> array_command = {"sbatch", "--parsable", "--array=" + submission.array_spec,
                                                  submission.array_script};
  if (request.dry_run) {
    submission.report = fmt::format(
        "{}:\n{}\n{}:\n{}\nwould submit: {}\n        then: sbatch --parsable --dependency=afterok:<array job> "
        "--kill-on-invalid-dep=yes {}\n({} task{} for {} run{}; nothing submitted: --dry-run)\n",
        submission.array_script, read_file_if_readable(submission.array_script).value_or(""),
        submission.collect_script, read_file_if_readable(submission.collect_script).value_or(""),
        fmt::join(array_command, " "), submission.collect_script, submission.tasks,
        submission.tasks == 1 ? "" : "s", submission.runs, submission.runs == 1 ? "" : "s");
    return submission;
  }
  submission.array_job = submit(array_command);
  try {
    submission.collect_job = submit({"sbatch", "--parsable", "--dependency=afterok:" + submission.array_job,
                                     "--kill-on-invalid-dep=yes", submission.collect_script});
  } catch (const UserError& failure) {
    throw UserError(fmt::format("submitted the array as job {}, but then {}; when it ends: bnrun collect {}",
                                submission.array_job, failure.what(), directory));
  }
  submission.report = fmt::format(
      "submitted array job {} ({} task{} for {} run{}{}) and collect job {} (runs when every task has succeeded)\n"
      "follow:   squeue -j {},{}    logs: {}/\n"
      "if a task fails or is cancelled, Slurm cancels the collect job; the last task to finish still writes the "
      "summary when every run has its result, and `bnrun slurm ... --resume` submits only the missing runs again\n",
      submission.array_job, submission.tasks, submission.tasks == 1 ? "" : "s", submission.runs,
      submission.runs == 1 ? "" : "s",
      request.settings.max_parallel > 0 ? fmt::format(", at most {} at once", request.settings.max_parallel) : "",
      submission.collect_job, submission.array_job, submission.collect_job, (slurm_folder / "logs").string());
  return submission;
}

}  // namespace bnrun::launch
