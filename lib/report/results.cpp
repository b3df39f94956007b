#include "report/results.h"

#include <fmt/format.h>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "results/codec.h"

namespace bnrun::report {

results::RunRecord run_record(const ExperimentReport& report) {
  results::RunRecord record;
  record.bnrun_version = BNRUN_VERSION;
  record.config = config::to_json(report.config);
  record.environment = report.environment;
  const data::PreparedData& data = report.data;
  record.data = {data.feature_names, data.class_names, data.train.rows(), data.validation.rows(), data.test.rows(),
                 data.files, std::nullopt};
  if (data.numeric_target) record.data.target_scaling = data.target_scaling;
  for (const auto& run : report.runs) {
    results::ArmRecord arm{run.arm, run.seed, run.result, report.load_seconds};
    arm.result.model.reset();
    record.arms.push_back(std::move(arm));
  }
  return record;
}

nlohmann::ordered_json results_json(const ExperimentReport& report) {
  return results::to_json(run_record(report));
}

void prepare_output_folder(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw UserError(fmt::format("{}: cannot create --output folder: {}", directory, error.message()));
  if (!std::filesystem::is_directory(directory, error))
    throw UserError(fmt::format("{}: --output exists and is not a folder", directory));
  const std::string probe = (std::filesystem::path(directory) / ".bnrun-write-check").string();
  write_file_atomically(probe, "");
  std::filesystem::remove(probe, error);
}

}  // namespace bnrun::report
