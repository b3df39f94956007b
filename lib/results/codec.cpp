#include "results/codec.h"

#include <fmt/format.h>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/json_reader.h"
#include "core/names.h"

namespace bnrun::results {

namespace {

using nlohmann::ordered_json;

// A diverged epoch's NaN or infinite loss becomes null: JSON has no NaN, and a script should see "no value".
ordered_json finite_or_null(double value) {
  return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr);
}

ordered_json classification_json(const stats::ClassificationMetrics& metrics) {
  ordered_json json = ordered_json::object();
  json["macro_f1"] = finite_or_null(metrics.macro_f1);
  json["balanced_accuracy"] = finite_or_null(metrics.balanced_accuracy);
  json["roc_auc"] = finite_or_null(metrics.roc_auc);
  if (!metrics.roc_auc_undefined.empty()) json["roc_auc_undefined"] = metrics.roc_auc_undefined;
  json["log_loss"] = finite_or_null(metrics.log_loss);
  ordered_json per_class = ordered_json::array();
  for (std::size_t k = 0; k < metrics.per_class.size(); ++k) {
    const auto& scores = metrics.per_class[k];
    per_class.push_back({{"class", metrics.classes[k]},
                         {"precision", finite_or_null(scores.precision)},
                         {"recall", finite_or_null(scores.recall)},
                         {"f1", finite_or_null(scores.f1)},
                         {"support", scores.support}});
  }
  json["per_class"] = std::move(per_class);
  json["confusion_matrix"] = {{"classes", metrics.classes}, {"counts", metrics.confusion}};
  return json;
}

// Typed access to one object of a results document, every problem a KeyPathError at its key path.
class Fields {
 public:
  Fields(const ordered_json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) throw KeyPathError(path_.empty() ? "(the document)" : path_, "expected an object");
  }
  std::string path_of(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }
  const ordered_json* optional(std::string_view key) const {
    const auto found = object_.find(std::string(key));
    return found == object_.end() ? nullptr : &*found;
  }
  const ordered_json& required(std::string_view key) const {
    const auto* value = optional(key);
    if (!value) throw KeyPathError(path_of(key), "is required but missing");
    return *value;
  }
  Fields object(std::string_view key) const { return Fields(required(key), path_of(key)); }
  const ordered_json& array(std::string_view key) const {
    const auto& value = required(key);
    if (!value.is_array()) throw KeyPathError(path_of(key), fmt::format("expected an array, got {}", value.type_name()));
    return value;
  }
  // A number, or null for "no value" (NaN).
  double number_or_null(std::string_view key) const {
    const auto& value = required(key);
    if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!value.is_number()) throw KeyPathError(path_of(key), fmt::format("expected a number, got {}", value.type_name()));
    return value.get<double>();
  }
  double number(std::string_view key) const {
    const auto& value = required(key);
    if (!value.is_number()) throw KeyPathError(path_of(key), fmt::format("expected a number, got {}", value.type_name()));
    return value.get<double>();
  }
  std::int64_t integer(std::string_view key) const {
    const auto& value = required(key);
    if (!value.is_number_integer())
      throw KeyPathError(path_of(key), fmt::format("expected a whole number, got {}", value.type_name()));
    return value.get<std::int64_t>();
  }
  std::uint64_t count(std::string_view key) const {
    const auto& value = required(key);
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0))
      throw KeyPathError(path_of(key), fmt::format("expected a whole number >= 0, got {}", value.dump()));
    return value.get<std::uint64_t>();
  }
  // A count held in an int (threads): larger values would wrap to negative ones that the writer then writes.
  int small_count(std::string_view key) const {
    const std::uint64_t value = count(key);
    if (value > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
      throw KeyPathError(path_of(key), fmt::format("expected a whole number in [0, {}], got {}",
                                                   std::numeric_limits<int>::max(), value));
    return static_cast<int>(value);
  }
  bool boolean(std::string_view key) const {
    const auto& value = required(key);
    if (!value.is_boolean()) throw KeyPathError(path_of(key), fmt::format("expected true or false, got {}", value.type_name()));
    return value.get<bool>();
  }
  std::string string(std::string_view key) const {
    const auto& value = required(key);
    if (!value.is_string()) throw KeyPathError(path_of(key), fmt::format("expected a string, got {}", value.type_name()));
    return value.get<std::string>();
  }
  // A string, or `fallback` when the key is absent (fields added after files were written).
  std::string string_or(std::string_view key, std::string_view fallback) const {
    return optional(key) ? string(key) : std::string(fallback);
  }
  std::vector<std::string> strings(std::string_view key) const {
    std::vector<std::string> result;
    const auto& list = array(key);
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string())
        throw KeyPathError(fmt::format("{}[{}]", path_of(key), i), fmt::format("expected a string, got {}", list[i].type_name()));
      result.push_back(list[i].get<std::string>());
    }
    return result;
  }

 private:
  const ordered_json& object_;
  std::string path_;
};

std::optional<train::Evaluation> read_evaluation(const Fields& fields, std::string_view key) {
  if (fields.required(key).is_null()) return std::nullopt;
  const Fields test = fields.object(key);
  return train::Evaluation{test.number_or_null("loss"), test.number_or_null("accuracy")};
}

// The classification metrics of an evaluation object; none in files older than them (no "macro_f1"). The class
// names and both tables must agree in length, so that what is read can be written again.
std::optional<stats::ClassificationMetrics> read_classification(const Fields& fields, std::string_view key) {
  if (fields.required(key).is_null()) return std::nullopt;
  const Fields evaluation = fields.object(key);
  if (!evaluation.optional("macro_f1")) return std::nullopt;
  stats::ClassificationMetrics metrics;
  metrics.macro_f1 = evaluation.number_or_null("macro_f1");
  metrics.balanced_accuracy = evaluation.number_or_null("balanced_accuracy");
  metrics.roc_auc = evaluation.number_or_null("roc_auc");
  metrics.roc_auc_undefined = evaluation.string_or("roc_auc_undefined", "");
  metrics.log_loss = evaluation.number_or_null("log_loss");
  const Fields confusion = evaluation.object("confusion_matrix");
  metrics.classes = confusion.strings("classes");
  const std::size_t classes = metrics.classes.size();
  const auto& counts = confusion.array("counts");
  if (counts.size() != classes)
    throw KeyPathError(confusion.path_of("counts"),
                       fmt::format("expected {} rows, one per class, got {}", classes, counts.size()));
  for (std::size_t t = 0; t < classes; ++t) {
    const std::string row_path = fmt::format("{}[{}]", confusion.path_of("counts"), t);
    if (!counts[t].is_array() || counts[t].size() != classes)
      throw KeyPathError(row_path, fmt::format("expected an array of {} counts, one per class", classes));
    auto& row = metrics.confusion.emplace_back();
    for (std::size_t p = 0; p < classes; ++p) {
      const auto& count = counts[t][p];
      if (!count.is_number_unsigned())
        throw KeyPathError(fmt::format("{}[{}]", row_path, p), fmt::format("expected a whole number >= 0, got {}", count.dump()));
      row.push_back(count.get<std::size_t>());
    }
  }
  const auto& per_class = evaluation.array("per_class");
  if (per_class.size() != classes)
    throw KeyPathError(evaluation.path_of("per_class"),
                       fmt::format("expected {} entries, one per class of confusion_matrix, got {}", classes,
                                   per_class.size()));
  for (std::size_t k = 0; k < classes; ++k) {
    const Fields entry(per_class[k], fmt::format("{}[{}]", evaluation.path_of("per_class"), k));
    if (const std::string name = entry.string("class"); name != metrics.classes[k])
      throw KeyPathError(entry.path_of("class"),
                         fmt::format("expected \"{}\", the class of confusion_matrix row {}", metrics.classes[k], k));
    metrics.per_class.push_back({entry.number_or_null("precision"), entry.number_or_null("recall"),
                                 entry.number_or_null("f1"), entry.count("support")});
  }
  return metrics;
}

// The regression metrics of an evaluation object; none for classification (no "rmse").
std::optional<stats::RegressionMetrics> read_regression(const Fields& fields, std::string_view key) {
  if (fields.required(key).is_null()) return std::nullopt;
  const Fields evaluation = fields.object(key);
  if (!evaluation.optional("rmse")) return std::nullopt;
  return stats::RegressionMetrics{evaluation.number_or_null("rmse"), evaluation.number_or_null("mae"),
                                  evaluation.number_or_null("r2")};
}

train::EpochRecord read_epoch(const Fields& fields) {
  train::EpochRecord epoch;
  epoch.epoch = fields.integer("epoch");
  epoch.train_loss = fields.number_or_null("train_loss");
  epoch.train_accuracy = fields.number_or_null("train_accuracy");
  const auto& val_loss = fields.required("val_loss");
  if (!val_loss.is_null() || !fields.required("val_accuracy").is_null())
    epoch.validation = train::Evaluation{fields.number_or_null("val_loss"), fields.number_or_null("val_accuracy")};
  epoch.seconds = fields.number("seconds");
  epoch.learning_rate = fields.number("learning_rate");
  return epoch;
}

ArmRecord read_arm(const Fields& fields) {
  ArmRecord arm;
  // "arm" came with arms; older files name the arm only as "variant".
  arm.arm = fields.optional("arm") ? fields.string("arm") : fields.string("variant");
  arm.seed = fields.count("seed");
  train::RunResult& result = arm.result;
  const std::string status = fields.string("status");
  const auto known = value_in(train::run_status_names, status);
  if (!known)
    throw KeyPathError(fields.path_of("status"),
                       fmt::format("expected \"ok\", \"diverged\" or \"interrupted\", got \"{}\"", status));
  result.status = *known;
  if (result.status == train::RunStatus::diverged) result.diverged_epoch = fields.integer("diverged_epoch");
  result.stopped_epoch = fields.integer("stopped_epoch");
  result.best_epoch = fields.integer("best_epoch");
  result.restored_best = fields.boolean("restored_best");
  result.test = read_evaluation(fields, "test");
  result.test_metrics = read_classification(fields, "test");
  result.test_regression = read_regression(fields, "test");
  if (fields.optional("validation")) {
    result.validation = read_evaluation(fields, "validation");
    result.validation_metrics = read_classification(fields, "validation");
    result.validation_regression = read_regression(fields, "validation");
  }
  if (fields.optional("class_weights")) {
    const Fields weights = fields.object("class_weights");
    for (const auto& item : fields.required("class_weights").items())
      result.class_weights.emplace_back(item.key(), weights.number(item.key()));
  }
  const Fields parameters = fields.object("parameters");
  result.trainable_parameters = parameters.count("trainable");
  result.non_trainable_parameters = parameters.count("non_trainable");
  const Fields timings = fields.object("timings");
  arm.load_seconds = timings.number("load_seconds");
  result.train_seconds = timings.number("train_seconds");
  result.samples_per_second = timings.number("samples_per_second");
  result.peak_rss_bytes = timings.count("peak_rss_bytes");
  if (fields.optional("skipped_single_row_batches"))
    result.skipped_single_row_batches = fields.count("skipped_single_row_batches");
  if (fields.optional("evaluation_batch_size"))
    result.evaluation_batch_size = fields.count("evaluation_batch_size");
  const auto& history = fields.array("history");
  for (std::size_t i = 0; i < history.size(); ++i)
    result.history.push_back(read_epoch(Fields(history[i], fmt::format("{}[{}]", fields.path_of("history"), i))));
  if (fields.optional("step_history")) {
    const auto& steps = fields.array("step_history");
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Fields step(steps[i], fmt::format("{}[{}]", fields.path_of("step_history"), i));
      result.step_history.push_back(
          {step.integer("step"), step.integer("epoch"), {step.number_or_null("test_loss"), step.number_or_null("test_accuracy")}});
    }
  }
  return arm;
}

// Shortest text that reads back as the same double.
std::string format_number(double value) {
  return fmt::format("{}", value);
}

}  // namespace

ordered_json evaluation_to_json(const train::Evaluation& evaluation,
                                const std::optional<stats::ClassificationMetrics>& metrics,
                                const std::optional<stats::RegressionMetrics>& regression) {
  ordered_json json = {{"accuracy", finite_or_null(evaluation.accuracy)}, {"loss", finite_or_null(evaluation.loss)}};
  if (metrics) json.update(classification_json(*metrics));
  if (regression) {
    json["rmse"] = finite_or_null(regression->rmse);
    json["mae"] = finite_or_null(regression->mae);
    json["r2"] = finite_or_null(regression->r2);
  }
  return json;
}

ordered_json to_json(const ArmRecord& arm) {
  const train::RunResult& result = arm.result;
  ordered_json history = ordered_json::array();
  for (const auto& epoch : result.history) {
    history.push_back(
        {{"epoch", epoch.epoch},
         {"train_loss", finite_or_null(epoch.train_loss)},
         {"train_accuracy", finite_or_null(epoch.train_accuracy)},
         {"val_loss", epoch.validation ? finite_or_null(epoch.validation->loss) : ordered_json(nullptr)},
         {"val_accuracy", epoch.validation ? finite_or_null(epoch.validation->accuracy) : ordered_json(nullptr)},
         {"seconds", epoch.seconds},
         {"learning_rate", epoch.learning_rate}});
  }
  const auto best = best_validation_accuracy(result);
  ordered_json entry = {
      {"variant", arm.arm}, {"arm", arm.arm}, {"seed", arm.seed}, {"status", train::status_name(result.status)}};
  if (result.status == train::RunStatus::diverged) entry["diverged_epoch"] = result.diverged_epoch;
  entry["stopped_epoch"] = result.stopped_epoch;
  entry["best_epoch"] = result.best_epoch;
  entry["restored_best"] = result.restored_best;
  entry["test"] = result.test ? evaluation_to_json(*result.test, result.test_metrics, result.test_regression)
                              : ordered_json(nullptr);
  entry["validation"] =
      result.validation ? evaluation_to_json(*result.validation, result.validation_metrics, result.validation_regression)
                        : ordered_json(nullptr);
  if (!result.class_weights.empty()) {
    ordered_json weights = ordered_json::object();
    for (const auto& [name, weight] : result.class_weights) weights[name] = weight;
    entry["class_weights"] = std::move(weights);
  }
  entry["best_val_accuracy"] = best ? ordered_json(*best) : ordered_json(nullptr);
  entry["epochs_completed"] = result.history.size();
  entry["parameters"] = {{"trainable", result.trainable_parameters},
                         {"non_trainable", result.non_trainable_parameters}};
  entry["timings"] = {{"load_seconds", arm.load_seconds},
                      {"train_seconds", result.train_seconds},
                      {"samples_per_second", result.samples_per_second},
                      {"peak_rss_bytes", result.peak_rss_bytes}};
  if (result.skipped_single_row_batches > 0) entry["skipped_single_row_batches"] = result.skipped_single_row_batches;
  if (result.evaluation_batch_size > 0) entry["evaluation_batch_size"] = result.evaluation_batch_size;
  entry["history"] = std::move(history);
  if (!result.step_history.empty()) {
    ordered_json steps = ordered_json::array();
    for (const auto& record : result.step_history)
      steps.push_back({{"step", record.step},
                       {"epoch", record.epoch},
                       {"test_loss", finite_or_null(record.test.loss)},
                       {"test_accuracy", finite_or_null(record.test.accuracy)}});
    entry["step_history"] = std::move(steps);
  }
  return entry;
}

ordered_json to_json(const RunRecord& record) {
  ordered_json runs = ordered_json::array();
  for (const auto& arm : record.arms) runs.push_back(to_json(arm));
  ordered_json document;
  if (record.place)
    document["run"] = {
        {"index", record.place->index}, {"folder", record.place->folder}, {"settings", record.place->settings}};
  document["bnrun_version"] = record.bnrun_version;
  document["config"] = record.config;
  document["environment"] = {{"threads", record.environment.threads},
                             {"compiler", record.environment.compiler},
                             {"blas", record.environment.blas},
                             {"cpu", record.environment.cpu},
                             {"cpu_level", record.environment.cpu_level}};
  document["data"] = {{"features", record.data.features},
                      {"classes", record.data.classes},
                      {"train_rows", record.data.train_rows},
                      {"validation_rows", record.data.validation_rows},
                      {"test_rows", record.data.test_rows}};
  // Only for a numeric target, so that every classification result reads as before.
  if (record.data.target_scaling)
    document["data"]["target_scaling"] = {{"mean", record.data.target_scaling->mean},
                                          {"scale", record.data.target_scaling->scale}};
  ordered_json files = ordered_json::array();
  for (const auto& file : record.data.files)
    files.push_back({{"path", file.path}, {"bytes", file.identity.bytes}, {"xxh3", file.identity.hash}});
  document["data"]["files"] = std::move(files);
  document["runs"] = std::move(runs);
  return document;
}

RunRecord run_record_from_json(const ordered_json& document, const std::string& source) {
  try {
    const Fields fields(document, "");
    RunRecord record;
    if (fields.optional("run")) {
      const Fields place = fields.object("run");
      place.object("settings");  // an object, or the error says so
      record.place = StudyPlace{place.count("index"), place.string("folder"), place.required("settings")};
    }
    record.bnrun_version = fields.string("bnrun_version");
    fields.object("config");
    record.config = fields.required("config");
    const Fields environment = fields.object("environment");
    record.environment = {environment.small_count("threads"), environment.string("compiler"),
                          environment.string("blas"), environment.string_or("cpu", "unknown"),
                          environment.string_or("cpu_level", "unknown")};
    const Fields data = fields.object("data");
    record.data = {data.strings("features"), data.strings("classes"), data.count("train_rows"),
                   data.count("validation_rows"), data.count("test_rows"), {}, std::nullopt};
    if (data.optional("target_scaling")) {
      const Fields scaling = data.object("target_scaling");
      record.data.target_scaling = data::TargetScaling{scaling.number("mean"), scaling.number("scale")};
    }
    if (data.optional("files")) {
      const auto& files = data.array("files");
      for (std::size_t i = 0; i < files.size(); ++i) {
        const Fields file(files[i], fmt::format("data.files[{}]", i));
        record.data.files.push_back({file.string("path"), {file.count("bytes"), file.string("xxh3")}});
      }
    }
    const auto& runs = fields.array("runs");
    for (std::size_t i = 0; i < runs.size(); ++i) record.arms.push_back(read_arm(Fields(runs[i], fmt::format("runs[{}]", i))));
    return record;
  } catch (const KeyPathError& error) {
    throw UserError(fmt::format("{}: {}", source, error.what()));
  }
}

std::vector<SummaryEntry> summary_entries_from_json(const ordered_json& document, const std::string& source) {
  try {
    std::vector<SummaryEntry> entries;
    const Fields fields(document, "");
    const auto& runs = fields.array("runs");
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const Fields entry(runs[i], fmt::format("runs[{}]", i));
      if (const std::string status = entry.string("status"); status == "failed" || status == "not_run") {
        entries.push_back({entry.string("variant"), std::nullopt, status, entry.string("error")});
      } else {
        ArmRecord arm = read_arm(entry);
        std::string name = arm.arm;
        entries.push_back({std::move(name), std::move(arm), "", ""});
      }
    }
    return entries;
  } catch (const KeyPathError& error) {
    throw UserError(fmt::format("{}: {}", source, error.what()));
  }
}

std::string history_csv(const train::RunResult& result) {
  // A regression run has no accuracy (NaN): its cells are empty, as a missing validation's are.
  const auto accuracy_cell = [](double value) { return std::isnan(value) ? std::string() : format_number(value); };
  // learning_rate is last so that the older columns, which scripts may read by position, keep their places.
  std::string text = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds,learning_rate\n";
  for (const auto& epoch : result.history) {
    text +=
        fmt::format("{},{},{},{},{},{},{}\n", epoch.epoch, format_number(epoch.train_loss),
                    accuracy_cell(epoch.train_accuracy), epoch.validation ? format_number(epoch.validation->loss) : "",
                    epoch.validation ? accuracy_cell(epoch.validation->accuracy) : "", format_number(epoch.seconds),
                    format_number(epoch.learning_rate));
  }
  return text;
}

}  // namespace bnrun::results
