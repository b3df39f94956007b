// Config validation: every mistake is reported with its key path and what was expected.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "core/json_reader.h"
#include "config/load.h"
#include "core/json_text.h"
#include "core/error.h"

using bnrun::config::apply_override;
using bnrun::config::Config;
using bnrun::config::parse_config;
using bnrun::parse_json_text;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using nlohmann::json;

namespace {

json minimal_document() {
  return json::parse(R"({
    "dataset": {"path": "data/iris.csv", "target": "species"},
    "model": {"layers": [
      {"type": "dense", "units": 8, "activation": "relu"},
      {"type": "batchnorm"},
      {"type": "dense", "units": 3, "activation": "softmax"}
    ]}
  })");
}

Config parse(const json& document) {
  return parse_config(document, "configs", "example");
}

// The message parse_config gives after one override (or two) is applied to the minimal document.
std::string error_after(const std::string& assignment, const std::string& second_assignment = "") {
  json document = minimal_document();
  apply_override(document, assignment);
  if (!second_assignment.empty()) apply_override(document, second_assignment);
  try {
    parse(document);
  } catch (const bnrun::UserError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a minimal config gets Keras defaults and its data path resolved against the config folder") {
  const Config config = parse(minimal_document());
  CHECK(config.name == "example");
  CHECK(config.dataset.path == "configs/data/iris.csv");
  CHECK(config.dataset.test_fraction == 0.2);
  CHECK(config.training.batch_size == 32);
  const auto& batchnorm = std::get<bnrun::nn::BatchNormSpec>(config.layers[1]);
  CHECK(batchnorm.momentum == 0.99);
  CHECK(batchnorm.epsilon == 1e-3);
  const auto& adam = std::get<bnrun::optim::AdamSettings>(config.training.optimizer);
  CHECK(adam.learning_rate == 1e-3);
  CHECK(adam.epsilon == 1e-7);
  CHECK(config.experiment.arms.size() == 2);
}

TEST_CASE("the resolved config reads back as the same config") {
  json document = minimal_document();
  apply_override(document, "training.optimizer={\"name\":\"sgd\",\"momentum\":0.9,\"nesterov\":true}");
  const Config config = parse(document);
  const json resolved = json::parse(bnrun::config::to_json(config).dump());
  const Config again = parse_config(resolved, "", "ignored");
  CHECK(bnrun::config::to_json(again) == bnrun::config::to_json(config));
}

TEST_CASE("the resolved config writes out the schedule and early stopping with every default", "[controls]") {
  json document = minimal_document();
  CHECK(bnrun::config::to_json(parse(document))["training"]["schedule"] == json{{"type", "constant"}});
  CHECK(bnrun::config::to_json(parse(document))["training"]["early_stopping"].is_null());
  apply_override(document, "dataset.validation_fraction=0.1");
  for (const std::string schedule : {R"({"type":"step","every_epochs":3})", R"({"type":"cosine"})"}) {
    apply_override(document, "training.schedule=" + schedule);
    apply_override(document, "training.early_stopping={}");
    const Config config = parse(document);
    const json resolved = json::parse(bnrun::config::to_json(config).dump());
    const Config again = parse_config(resolved, "", "ignored");
    CHECK(bnrun::config::to_json(again) == bnrun::config::to_json(config));
    CHECK(resolved["training"]["early_stopping"] ==
          json::parse(R"({"monitor":"val_loss","patience":10,"min_delta":0.0,"restore_best":false})"));
  }
  const json resolved = json::parse(bnrun::config::to_json(parse(document)).dump());
  CHECK(resolved["training"]["schedule"] == json::parse(R"({"type":"cosine","min_learning_rate":0.0})"));
  apply_override(document, "training.schedule={\"type\":\"step\",\"every_epochs\":3}");
  CHECK(bnrun::config::to_json(parse(document))["training"]["schedule"]["factor"] == 0.1);
}

TEST_CASE("early stopping and schedule settings are read with their types", "[controls]") {
  json document = minimal_document();
  apply_override(document, "dataset.validation_fraction=0.1");
  apply_override(
      document,
      R"(training.early_stopping={"monitor":"val_accuracy","patience":3,"min_delta":0.01,"restore_best":true})");
  apply_override(document, R"(training.schedule={"type":"step","every_epochs":5,"factor":0.5})");
  const Config config = parse(document);
  REQUIRE(config.training.early_stopping.has_value());
  CHECK(config.training.early_stopping->monitor == bnrun::train::Monitor::val_accuracy);
  CHECK(config.training.early_stopping->patience == 3);
  CHECK(config.training.early_stopping->min_delta == 0.01);
  CHECK(config.training.early_stopping->restore_best);
  const auto& step = std::get<bnrun::train::StepSchedule>(config.training.schedule);
  CHECK(step.every_epochs == 5);
  CHECK(step.factor == 0.5);
  apply_override(document, "training.early_stopping=null");
  CHECK_FALSE(parse(document).training.early_stopping.has_value());
}

TEST_CASE("mistakes in early stopping and schedules name their key", "[controls]") {
  CHECK(error_after("training.early_stopping={\"monitor\":\"train_loss\",\"patiense\":3}") ==
        "training.early_stopping.patiense: unknown key (did you mean \"patience\"?)");
  CHECK(error_after("training.early_stopping={\"monitor\":\"train_loss\",\"patience\":0}") ==
        "training.early_stopping.patience: expected an integer in [1, 1000000], got 0");
  CHECK(error_after("training.early_stopping={\"monitor\":\"train_loss\",\"min_delta\":-1}") ==
        "training.early_stopping.min_delta: expected a number >= 0, got -1");
  CHECK_THAT(error_after("training.early_stopping={\"monitor\":\"loss\"}"),
             Contains("training.early_stopping.monitor: expected one of \"val_loss\", \"val_accuracy\""));
  CHECK(error_after("training.schedule={\"type\":\"step\",\"every_epochs\":2,\"factor\":0}") ==
        "training.schedule.factor: expected a number in (0, 1], got 0");
  CHECK(error_after("training.schedule={\"type\":\"step\"}") ==
        "training.schedule.every_epochs: is required but missing");
  CHECK(error_after("training.schedule={\"type\":\"cosine\",\"every_epochs\":2}") ==
        "training.schedule.every_epochs: unknown key (known keys here: \"min_learning_rate\", \"type\")");
  CHECK(error_after("training.schedule={\"every_epochs\":2}") == "training.schedule.type: is required but missing");
  CHECK_THAT(error_after("training.schedule={\"type\":\"cosine\",\"min_learning_rate\":0.5}"),
             Contains("training.schedule.min_learning_rate: is 0.5, above training.optimizer.learning_rate 0.001"));
}

TEST_CASE("a validation monitor without a validation split is a config error", "[controls]") {
  CHECK(error_after("training.early_stopping={}") ==
        "training.early_stopping.monitor: \"val_loss\" needs validation data: set dataset.validation_fraction "
        "above 0, or monitor \"train_loss\" or \"train_accuracy\"");
  CHECK_THAT(error_after("training.early_stopping={\"monitor\":\"val_accuracy\"}"),
             Contains("\"val_accuracy\" needs validation data"));
  json document = minimal_document();
  apply_override(document, "training.early_stopping={\"monitor\":\"train_accuracy\"}");
  CHECK_NOTHROW(parse(document));
  // Separate train and test files take their validation rows from the fraction too.
  document["dataset"] = json::parse(R"({"train": "a.csv", "test": "b.csv", "target": "species"})");
  apply_override(document, "training.early_stopping={}");
  CHECK_THROWS_WITH(parse(document), Contains("training.early_stopping.monitor"));
  apply_override(document, "dataset.validation_fraction=0.2");
  CHECK_NOTHROW(parse(document));
}

TEST_CASE("the scikit-learn split and all-rows scaling are read, written back, and written only when asked for") {
  const Config plain = parse(minimal_document());
  CHECK(plain.dataset.split_method == bnrun::data::SplitMethod::bnrun);
  CHECK(plain.dataset.standardize == bnrun::data::Standardize::training_rows);
  const auto plain_json = bnrun::config::to_json(plain);
  // A study made before these options resumes: its results.json has no "split" and a bool "standardize".
  CHECK_FALSE(plain_json["dataset"].contains("split"));
  CHECK(plain_json["dataset"]["standardize"] == true);
  json document = minimal_document();
  apply_override(document, "dataset.split={\"method\":\"sklearn\",\"random_state\":42}");
  apply_override(document, "dataset.standardize=\"all_rows\"");
  const Config notebook = parse(document);
  CHECK(notebook.dataset.split_method == bnrun::data::SplitMethod::sklearn);
  CHECK(notebook.dataset.split_random_state == 42u);
  CHECK(notebook.dataset.standardize == bnrun::data::Standardize::all_rows);
  const Config again = parse_config(json::parse(bnrun::config::to_json(notebook).dump()), "", "ignored");
  CHECK(bnrun::config::to_json(again) == bnrun::config::to_json(notebook));
  apply_override(document, "dataset.standardize=\"training_rows\"");
  CHECK(parse(document).dataset.standardize == bnrun::data::Standardize::training_rows);
}

TEST_CASE("mistakes in dataset.split name their key") {
  CHECK_THAT(error_after("dataset.split={\"method\":\"numpy\"}"),
             Contains("dataset.split.method") && Contains("sklearn"));
  CHECK_THAT(error_after("dataset.split={\"method\":\"sklearn\",\"random_state\":-1}"),
             Contains("dataset.split.random_state"));
  CHECK_THAT(error_after("dataset.split={\"method\":\"sklearn\",\"random_state\":4294967296}"),
             Contains("dataset.split.random_state"));
  CHECK_THAT(error_after("dataset.split={\"method\":\"sklearn\",\"seed\":3}"),
             Contains("dataset.split.seed: unknown key"));
  CHECK_THAT(error_after("dataset={\"train\":\"a.csv\",\"test\":\"b.csv\",\"target\":\"y\",\"split\":{\"method\":\"sklearn\"}}"),
             Contains("dataset.split.method: \"sklearn\" only applies with \"path\""));
}

TEST_CASE("cross-validation is read and written back, and refuses what does not fit it", "[cv]") {
  json document = minimal_document();
  apply_override(document, "dataset.cross_validation={\"folds\":10}");
  const Config config = parse(document);
  CHECK(config.dataset.folds == 10);
  CHECK(config.dataset.fold == 0);
  CHECK(config.dataset.stratify_folds);
  const auto written = bnrun::config::to_json(config);
  CHECK(written["dataset"]["cross_validation"]["folds"] == 10);
  CHECK_FALSE(written["dataset"].contains("test_fraction"));
  const Config again = parse_config(json::parse(written.dump()), "", "ignored");
  CHECK(bnrun::config::to_json(again) == written);
  CHECK_THAT(error_after("dataset.cross_validation={\"folds\":1}"), Contains("dataset.cross_validation.folds"));
  CHECK_THAT(error_after("dataset.cross_validation={\"folds\":5,\"fold\":6}"),
             Contains("dataset.cross_validation.fold"));
  CHECK_THAT(error_after("dataset.cross_validation={}"), Contains("dataset.cross_validation.folds: is required"));
  CHECK(error_after("dataset.cross_validation={\"folds\":5}", "dataset.test_fraction=0.3") == "(no error)");
  CHECK_THAT(error_after("dataset.cross_validation={\"folds\":5}", "dataset.split={\"method\":\"sklearn\"}"),
             Contains("dataset.split.method"));
}

TEST_CASE("unknown keys are rejected with their path and the closest known key") {
  CHECK_THAT(error_after("dataset.test_fration=0.3"),
             Contains("dataset.test_fration: unknown key (did you mean \"test_fraction\"?)"));
  CHECK_THAT(error_after("model.layers[1].momentun=0.9"), Contains("model.layers[1].momentun: unknown key"));
  CHECK_THAT(error_after("colour=1"), Contains("colour: unknown key"));
}

TEST_CASE("wrong types name the key and the expected type") {
  CHECK(error_after("training.epochs=\"ten\"") == "training.epochs: expected an integer in [1, 1000000], got \"ten\"");
  CHECK(error_after("training.batch_size=2.5") ==
        "training.batch_size: expected an integer in [1, 100000000], got 2.5");
  CHECK(error_after("dataset.standardize=1") ==
        "dataset.standardize: expected true, false, \"training_rows\" or \"all_rows\", got 1");
  CHECK(error_after("model.layers=[]") == "model.layers: expected a non-empty array of layers, got []");
  CHECK(error_after("dataset.features=\"a\"") == "dataset.features: expected an array of strings, got a string");
  CHECK(error_after("model.layers[0]=3") == "model.layers[0]: expected an object, got an integer");
}

TEST_CASE("batchnorm modes that do not fit the training or each other are refused with the key path",
          "[config][bn_modes]") {
  CHECK(error_after("training.batch_size=128") == "(no error)");
  CHECK(error_after("model.layers[1].virtual_batch_size=48") ==
        "model.layers[1].virtual_batch_size: 48 does not divide training.batch_size 32");
  CHECK(error_after("model.layers[1].virtual_batch_size=1") ==
        "model.layers[1].virtual_batch_size: expected an integer in [2, 100000000], got 1");
  CHECK(error_after("model.layers[1].running_stats=false") == "(no error)");
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"batchnorm\",\"running_stats\":false,\"momentum\":null}"),
             StartsWith("model.layers[1].momentum: null (a cumulative average of the running statistics) needs "
                        "running statistics"));
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"batchnorm\",\"running_stats\":false,\"renorm\":{}}"),
             StartsWith("model.layers[1].renorm: corrects the batch statistics toward moving statistics"));
  CHECK_THAT(
      error_after("model.layers[1]={\"type\":\"batchnorm\",\"running_stats\":false,\"virtual_batch_size\":8}"),
      StartsWith("model.layers[1].virtual_batch_size: needs running statistics for evaluation"));
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"batchnorm\",\"virtual_batch_size\":8,\"renorm\":{}}"),
             StartsWith("model.layers[1].renorm: does not combine with virtual_batch_size"));
  CHECK(error_after("model.layers[1].renorm={\"r_max\":0.5}") ==
        "model.layers[1].renorm.r_max: expected a number at least 1, got 0.5");
  CHECK(error_after("model.layers[1].renorm={\"d_max\":{\"start\":-1}}") ==
        "model.layers[1].renorm.d_max.start: expected a number at least 0, got -1");
  CHECK_THAT(error_after("model.layers[1].renorm={\"r_max\":{\"start\":3,\"end\":2}}"),
             StartsWith("model.layers[1].renorm.r_max.end: 2 is below start 3"));
  CHECK(error_after("model.layers[1].renorm={\"r_max\":{\"start\":1,\"end\":3,\"ramp_steps\":-5}}") ==
        "model.layers[1].renorm.r_max.ramp_steps: expected an integer >= 0, got -5");
  CHECK(error_after("model.layers[1].renorm={\"r_max\":{\"end\":3}}") ==
        "model.layers[1].renorm.r_max.start: is required but missing");
  CHECK_THAT(error_after("model.layers[1].renorm={\"r_mx\":2}"), StartsWith("model.layers[1].renorm.r_mx: unknown key"));
  CHECK_THAT(error_after("experiment.arms=[\"bn\",{\"name\":\"g\",\"kind\":\"ghost_bn\",\"virtual_batch_size\":12}]"),
             Equals("experiment.arms[1] (\"g\"): layer 1.virtual_batch_size: 12 does not divide training.batch_size 32"));
  CHECK(error_after("experiment.arms=[\"ghost_bn\",\"batch_renorm\",\"bn_batch_stats\",\"bn_cumulative\"]") ==
        "(no error)");
}

TEST_CASE("training.evaluation_batch_size defaults to the batch size and must be 2 or more for batch statistics",
          "[config][bn_modes]") {
  json document = minimal_document();
  apply_override(document, "training.batch_size=24");
  CHECK(!parse(document).training.evaluation_batch_size);  // the batch size
  CHECK(bnrun::config::to_json(parse(document))["training"]["evaluation_batch_size"].is_null());
  apply_override(document, "model.layers[1].running_stats=false");
  apply_override(document, "training.evaluation_batch_size=1");
  CHECK_THROWS_WITH(parse(document), StartsWith("training.evaluation_batch_size: must be at least 2: "
                                                "model.layers[1].running_stats is false"));
}

TEST_CASE("out-of-range values are rejected with the allowed range") {
  CHECK(error_after("training.epochs=0") == "training.epochs: expected an integer in [1, 1000000], got 0");
  CHECK(error_after("training.batch_size=-3") == "training.batch_size: expected an integer in [1, 100000000], got -3");
  CHECK(error_after("dataset.test_fraction=1") == "dataset.test_fraction: expected a number in (0, 1), got 1");
  CHECK(error_after("training.optimizer.learning_rate=0") ==
        "training.optimizer.learning_rate: expected a number > 0, got 0");
  CHECK(error_after("model.layers[1].momentum=1.5") ==
        "model.layers[1].momentum: expected a number in [0, 1] or null, got 1.5");
  CHECK(error_after("model.layers[0].units=0") == "model.layers[0].units: expected an integer in [1, 1000000], got 0");
}

TEST_CASE("names from a fixed list are checked against the list") {
  CHECK_THAT(error_after("model.layers[0].activation=\"rleu\""),
             Contains("model.layers[0].activation: expected one of \"linear\", \"relu\""));
  CHECK_THAT(error_after("training.optimizer.name=\"adamw\""),
             Contains("training.optimizer.name: expected one of \"adam\", \"sgd\", got \"adamw\""));
  CHECK_THAT(error_after("model.layers[1].type=\"maxout\""),
             Contains("model.layers[1].type: expected \"dense\", \"batchnorm\", \"activation\", \"layernorm\", "
                      "\"groupnorm\" or \"dropout\""));
}

TEST_CASE("settings of another optimizer are unknown keys") {
  CHECK_THAT(error_after("training.optimizer.momentum=0.9"), Contains("training.optimizer.momentum: unknown key"));
}

TEST_CASE("batch size 1 is rejected when the model has batchnorm") {
  CHECK_THAT(error_after("training.batch_size=1"), Contains("training.batch_size: must be at least 2"));
  json document = minimal_document();
  apply_override(document, "training.batch_size=1");
  apply_override(document, "experiment.variants=[\"no_bn\"]");
  CHECK_NOTHROW(parse(document));
}

TEST_CASE("the model must end in softmax or sigmoid, matching the loss") {
  CHECK_THAT(error_after("model.layers[2].activation=\"relu\""),
             Contains("model.layers[2]: the model must end in a softmax"));
  CHECK_THAT(error_after("training.loss=\"binary_crossentropy\""),
             Contains("training.loss: binary_crossentropy needs a sigmoid"));
}

TEST_CASE("the output width must match the number of classes in the data") {
  const Config config = parse(minimal_document());
  CHECK_NOTHROW(bnrun::config::check_against_data(config, 3, 4));
  CHECK_THROWS_WITH(
      bnrun::config::check_against_data(config, 4, 4),
      "model.layers[2].units: is 3, but the data has 4 classes: the softmax output needs one unit per class");
}

TEST_CASE("dataset needs exactly one of path or train and test") {
  json document = minimal_document();
  apply_override(document, "dataset.train=\"a.csv\"");
  CHECK_THROWS_WITH(parse(document), Contains("dataset: give either \"path\""));
  document["dataset"].erase("path");
  CHECK_THROWS_WITH(parse(document), Contains("dataset.test: is required but missing"));
}

TEST_CASE("overrides address nested keys and array elements and parse JSON values") {
  json document = minimal_document();
  apply_override(document, "training.optimizer.name=sgd");
  apply_override(document, "model.layers[1].momentum=0.9");
  apply_override(document, "training.batch_size=64");
  CHECK(document["training"]["optimizer"]["name"] == "sgd");
  CHECK(document["model"]["layers"][1]["momentum"] == 0.9);
  CHECK(document["training"]["batch_size"] == 64);
  CHECK_THROWS_WITH(apply_override(document, "model.layers[7].units=3"),
                    "--set model.layers[7].units=3: model.layers has 3 entries (indices 0 to 2)");
  CHECK_THROWS_WITH(apply_override(document, "training.batch_size"),
                    "--set training.batch_size: expected key.path=value");
  CHECK_THROWS_WITH(apply_override(document, "model.layers[x]=1"),
                    "--set model.layers[x]=1: expected an array index in [], got \"[x]\"");
}

TEST_CASE("JSON syntax errors give the line and column") {
  CHECK_THROWS_WITH(parse_json_text("{\n  \"a\": 1,\n  \"b\": }\n", "bad.json"),
                    Contains("bad.json:3:8: invalid JSON"));
  CHECK_THROWS_WITH(parse_json_text("", "empty.json"), Contains("empty.json:1:1: invalid JSON"));
}

TEST_CASE("a number beyond the range of a double is a JSON error with its line and column") {
  CHECK_THROWS_WITH(parse_json_text("{\n  \"l2\": 1e400\n}\n", "big.json"),
                    "big.json:2:9: invalid JSON: number overflow parsing '1e400' (beyond the range of a double)");
}

TEST_CASE("keys and values with line breaks are reported on one line") {
  json document = minimal_document();
  document["dataset"]["a\nb"] = 1;
  CHECK_THROWS_WITH(parse(document), Catch::Matchers::StartsWith("dataset.a\\x0Ab: unknown key (known keys here:"));
  // A carriage return, and U+2028 (a line separator in UTF-8).
  CHECK(error_after("model.layers[0].type=x\r\xE2\x80\xA8y") ==
        "model.layers[0].type: expected \"dense\", \"batchnorm\", \"activation\", \"layernorm\", \"groupnorm\" or "
        "\"dropout\", got \"x\\x0D\\xE2\\x80\\xA8y\"");
}

TEST_CASE("an override value that is not valid UTF-8 is refused, as JSON cannot hold it") {
  json document = minimal_document();
  CHECK_THROWS_WITH(apply_override(document, "dataset.path=caf\xE9.csv"),
                    "--set dataset.path=caf\\xE9.csv: the value is not valid UTF-8 text");
  apply_override(document, "dataset.path=caf\xC3\xA9.csv");
  CHECK(document["dataset"]["path"] == "caf\xC3\xA9.csv");
}

TEST_CASE("a config file that does not exist is reported with its path") {
  CHECK_THROWS_WITH(bnrun::config::load_config("/nonexistent/x.json", {}),
                    "/nonexistent/x.json: cannot open config file: No such file or directory");
}

TEST_CASE("groupnorm's groups must divide the width of the layer before, named by key path", "[norms]") {
  CHECK(error_after("model.layers[1]={\"type\":\"groupnorm\",\"groups\":4}") == "(no error)");
  CHECK(error_after("model.layers[1]={\"type\":\"groupnorm\",\"groups\":3}") ==
        "model.layers[1].groups: 3 does not divide the 8 features of the layer before");
  CHECK(error_after("model.layers[1]={\"type\":\"groupnorm\",\"groups\":0}") ==
        "model.layers[1].groups: expected an integer in [1, 1000000], got 0");
}

TEST_CASE("a groupnorm before the first Dense layer is checked against the data's width", "[norms]") {
  json document = minimal_document();
  apply_override(document, "model.layers[1]={\"type\":\"dense\",\"units\":4}");
  apply_override(document, "model.layers[0]={\"type\":\"groupnorm\",\"groups\":3}");
  const Config config = parse(document);  // the data's width is not known yet
  CHECK_NOTHROW(bnrun::config::check_against_data(config, 3, 6));
  CHECK_THROWS_WITH(bnrun::config::check_against_data(config, 3, 4),
                    "model.layers[0].groups: 3 does not divide the 4 features of the data");
}

TEST_CASE("new layer kinds' out-of-range values and unknown keys are one-line errors with the key path", "[norms]") {
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"dropout\",\"rate\":1}"),
             Contains("model.layers[1].rate: expected a number in [0, 1), got 1"));
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"dropout\",\"rate\":-0.1}"), Contains("model.layers[1].rate"));
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"dropout\",\"p\":0.1}"), Contains("model.layers[1].p"));
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"layernorm\",\"epsilon\":0}"),
             Contains("model.layers[1].epsilon"));
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"layernorm\",\"groups\":2}"),
             Contains("model.layers[1].groups"));
  CHECK_THAT(error_after("model.layers[1]={\"type\":\"groupnorm\",\"momentum\":0.9}"),
             Contains("model.layers[1].momentum"));
  for (const std::string layer : {"dropout", "layernorm", "groupnorm"}) {
    const std::string message = error_after("model.layers[1]={\"type\":\"" + layer + "\",\"bogus\":1}");
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Contains("model.layers[1].bogus"));
  }
}

TEST_CASE("the groupnorm arm refuses groups that do not divide a replaced layer's width", "[norms]") {
  CHECK(error_after("experiment.arms=[\"bn\",\"no_bn\",\"layernorm\",\"groupnorm\",\"dropout\"]") == "(no error)");
  CHECK(error_after("experiment.arms=[\"bn\",{\"kind\":\"groupnorm\",\"groups\":3}]") ==
        "experiment.arms[1].groups: 3 does not divide the 8 features of the layer before (model.layers[1], which "
        "this arm makes a groupnorm layer)");
  CHECK(error_after("model.layers[0].units=7") ==
        "(no error)");  // the default arms have no groupnorm
  CHECK(error_after("model.layers[0].units=7", "experiment.arms=[\"groupnorm\"]") ==
        "experiment.arms[0]: groups 2 does not divide the 7 features of the layer before (model.layers[1], which "
        "this arm makes a groupnorm layer); give the arm a \"groups\" that divides it");
  CHECK_THAT(error_after("experiment.arms=[{\"kind\":\"dropout\",\"rate\":1.5}]"),
             Contains("experiment.arms[0].rate: expected a number in [0, 1)"));
  CHECK_THAT(error_after("experiment.arms=[{\"kind\":\"layernorm\",\"groups\":2}]"),
             Contains("experiment.arms[0].groups"));
}

TEST_CASE("the norm arms replace every batchnorm layer, keeping the Dense layers", "[norms]") {
  json document = minimal_document();
  apply_override(document, "experiment.arms=[\"layernorm\",{\"kind\":\"groupnorm\",\"groups\":4},"
                           "{\"name\":\"drop\",\"kind\":\"dropout\",\"rate\":0.2}]");
  const Config config = parse(document);
  const auto layers_of = [&](std::size_t arm) { return bnrun::config::model_spec(config, 4, 3, config.experiment.arms[arm]).layers; };
  CHECK(bnrun::nn::architecture_text(layers_of(0)) == "dense 8 relu → LN → dense 3 softmax");
  CHECK(bnrun::nn::architecture_text(layers_of(1)) == "dense 8 relu → GN(4) → dense 3 softmax");
  CHECK(bnrun::nn::architecture_text(layers_of(2)) == "dense 8 relu → dropout 0.2 → dense 3 softmax");
  CHECK(std::get<bnrun::nn::LayerNormSpec>(layers_of(0)[1]).epsilon == 1e-5);
}

TEST_CASE("an output layer without units takes one unit per class, or one for a sigmoid", "[output width]") {
  json document = minimal_document();
  document["model"]["layers"][2].erase("units");
  const Config config = parse(document);
  CHECK(bnrun::config::to_json(config)["model"]["layers"][2]["units"] == "auto");
  const auto written = bnrun::config::to_json(config);
  CHECK(bnrun::config::to_json(parse(json::parse(written.dump())))["model"] == written["model"]);
  CHECK(bnrun::config::output_width(config, 7) == 7);
  const auto spec = bnrun::config::model_spec(config, 4, 5, config.experiment.arms.front());
  CHECK(std::get<bnrun::nn::DenseSpec>(spec.layers.back()).units == 5);
  CHECK_NOTHROW(bnrun::config::check_against_data(config, 5, 4));

  apply_override(document, "model.layers[2].activation=\"sigmoid\"");
  const Config binary = parse(document);
  CHECK(bnrun::config::output_width(binary, 2) == 1);
  CHECK_THAT(error_after("model.layers[2].units=\"auto\""), Equals("(no error)"));
}

TEST_CASE("only the output layer's width may be left to the data", "[output width]") {
  CHECK_THAT(error_after("model.layers[0].units=\"auto\""),
             Contains("model.layers[0].units: required: only the output layer's width may be left out"));
  CHECK_THAT(error_after("model.layers[2].units=\"many\""), Contains("model.layers[2].units"));
}

TEST_CASE("training.class_weight is \"balanced\" or label: weight > 0, and reads back from the resolved config",
          "[class_weight]") {
  json document = minimal_document();
  apply_override(document, "training.class_weight={\"virginica\":2.5,\"setosa\":0.5}");
  const Config config = parse(document);
  REQUIRE(config.training.class_weight);
  CHECK_FALSE(config.training.class_weight->balanced);
  CHECK(config.training.class_weight->by_label ==
        std::vector<std::pair<std::string, double>>{{"setosa", 0.5}, {"virginica", 2.5}});
  const Config again = parse_config(json::parse(bnrun::config::to_json(config).dump()), "", "ignored");
  CHECK(bnrun::config::to_json(again) == bnrun::config::to_json(config));
  CHECK_NOTHROW(bnrun::config::check_class_weight_labels(config, {"setosa", "versicolor", "virginica"}));
  CHECK_THROWS_WITH(bnrun::config::check_class_weight_labels(config, {"setosa", "versicolor"}),
                    "training.class_weight.virginica: \"virginica\" is not a label of the data (its labels: setosa, "
                    "versicolor)");
  CHECK(parse(minimal_document()).training.class_weight == std::nullopt);
  CHECK_FALSE(bnrun::config::to_json(parse(minimal_document()))["training"].contains("class_weight"));

  document = minimal_document();
  apply_override(document, "training.class_weight=balanced");
  CHECK(parse(document).training.class_weight->balanced);
  CHECK(bnrun::config::to_json(parse(document))["training"]["class_weight"] == "balanced");

  CHECK(error_after("training.class_weight={\"setosa\":-1}") ==
        "training.class_weight.setosa: expected a number > 0, got -1");
  CHECK(error_after("training.class_weight={\"setosa\":\"heavy\"}") ==
        "training.class_weight.setosa: expected a number > 0, got \"heavy\"");
  CHECK(error_after("training.class_weight={}") == "training.class_weight: expected at least one label: weight");
  CHECK(error_after("training.class_weight=[1,2]") ==
        "training.class_weight: expected \"balanced\" or an object of label: weight, got [1,2]");
}

TEST_CASE("report.metric names a metric of the registry and reads back", "[classification]") {
  json document = minimal_document();
  apply_override(document, "report.metric=test_log_loss");
  const Config config = parse(document);
  CHECK(config.report.metric == bnrun::results::Metric::test_log_loss);
  CHECK(bnrun::config::to_json(config)["report"]["metric"] == "test_log_loss");
  CHECK_FALSE(bnrun::config::to_json(parse(minimal_document())).contains("report"));
  CHECK_THAT(error_after("report.metric=macro_f1"), Contains("report.metric: expected one of \"test_accuracy\""));
  CHECK(error_after("report.metrics=test_loss") == "report.metrics: unknown key (did you mean \"metric\"?)");
}
