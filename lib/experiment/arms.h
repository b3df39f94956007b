// Arms: the compared variants of one experiment. Each arm is a named, declared transformation of the base model
// the config writes (`bn` trains it as written, `no_bn` removes every BatchNorm layer), trained from the same
// seed on the same splits and batches, and each is paired against the experiment's reference arm.
//
// Every kind of arm is defined once, in arms.cpp: its name, what it does, the parameters it takes and how it
// transforms the base model. A config names arms by kind ("no_bn") or defines them as objects
// ({"name": "bn_fast", "kind": "bn", "momentum": 0.9}), so a variant of a variant needs no code.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "nn/spec.h"

namespace bnrun::experiment {

struct ArmSpec {
  std::string name;  // unique within an experiment; results.json's runs[].arm (and .variant)
  std::string kind;  // one of arm_kinds()
  nlohmann::json parameters = nlohmann::json::object();  // the kind's parameters that the config set
  bool operator==(const ArmSpec&) const = default;
};

struct ArmKind {
  std::string_view name;
  std::string_view summary;  // one line for --help and docs
};

// Every kind bnrun knows, in the order --help lists them.
std::vector<ArmKind> arm_kinds();

// The arm of `kind` with no parameters, named after the kind ("bn", "no_bn"). `kind` must be one of arm_kinds().
ArmSpec builtin_arm(std::string_view kind);

// The arms an experiment has when the config names none: bn and no_bn.
std::vector<ArmSpec> default_arms();

// The arm a config entry at key path `path` describes: a kind's name, or an object with "kind" (and "name",
// default the kind's name) and the kind's parameters. Throws KeyPathError naming the key.
ArmSpec parse_arm(const nlohmann::json& entry, const std::string& path);

// The config entry that parse_arm reads back as `arm`: the bare kind name when the arm is just that.
nlohmann::ordered_json arm_to_json(const ArmSpec& arm);

// The model this arm trains, from the base model.
nn::ModelSpec arm_model(const ArmSpec& arm, const nn::ModelSpec& base);

}  // namespace bnrun::experiment
