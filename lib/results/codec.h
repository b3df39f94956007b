// The one JSON codec of run records (the results.json contract in docs and the brief, section 3). Used only
// where records meet the disk: writing results, --resume, compare.
//
// Writing keeps every key results.json has ever had, in the same order; NaN and infinite numbers become null.
// Reading checks every field's type and names the file and key path of the first that is wrong; keys it does
// not know are ignored (a newer bnrun may add some).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "results/record.h"

namespace bnrun::results {

nlohmann::ordered_json to_json(const ArmRecord& arm);
// An evaluation as results.json's "test" holds it: accuracy and loss, then the classification metrics when given
// (macro_f1, balanced_accuracy, roc_auc with roc_auc_undefined when it is null, log_loss, per_class,
// confusion_matrix), or the regression metrics (rmse, mae, r2; accuracy is then null). `bnrun eval --json` prints
// the same keys.
nlohmann::ordered_json evaluation_to_json(const train::Evaluation& evaluation,
                                          const std::optional<stats::ClassificationMetrics>& metrics,
                                          const std::optional<stats::RegressionMetrics>& regression = std::nullopt);
nlohmann::ordered_json to_json(const RunRecord& record);

// Throws bnrun::UserError "<source>: <key path>: <problem>" when a field is missing or of the wrong type.
RunRecord run_record_from_json(const nlohmann::ordered_json& document, const std::string& source);
// A study's summary.json lists every run × arm in "runs"; a run that produced no result has only its error.
struct SummaryEntry {
  std::string arm;
  std::optional<ArmRecord> record;
  std::string status;  // when there is no record: "failed" or "not_run" (never started)
  std::string error;   // when there is no record
};
std::vector<SummaryEntry> summary_entries_from_json(const nlohmann::ordered_json& document, const std::string& source);

// epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds,learning_rate (validation cells empty without
// validation).
std::string history_csv(const train::RunResult& result);

}  // namespace bnrun::results
