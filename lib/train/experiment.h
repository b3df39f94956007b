// The experiment: each arm (a name and its recipe; config::arm_recipes makes them from a config: bn as written,
// no_bn with every BatchNorm layer removed, …) trained from the same seed on the same splits and batches, one
// after the other.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "kernels/parallel.h"
#include "train/trainer.h"

namespace bnrun::train {

struct Arm {
  std::string name;
  TrainingRecipe recipe;
};

struct ArmRun {
  std::string arm;  // the arm's name
  std::uint64_t seed = 0;
  RunResult result;
};

struct ExperimentObserver {
  std::function<void(const std::string& arm)> on_arm_start;
  std::function<void(const std::string& arm, const EpochRecord&)> on_epoch;
  std::function<void(const ArmRun&)> on_arm_end;
};

// What every arm's recipe gets on top of its own.
struct ExperimentOptions {
  kernels::Compute compute = {};                      // the thread budget every arm trains with
  bool keep_models = false;                           // each RunResult::model holds the trained model
  std::function<void(nn::Model<float>&)> initialize;  // replaces the seeded initial weights (--init-from)
  std::function<bool()> should_stop;                  // asked before every batch: true interrupts (Ctrl-C)
};

std::vector<ArmRun> run_experiment(const std::vector<Arm>& arms, const data::PreparedData& data,
                                   const ExperimentObserver& observer = {}, const ExperimentOptions& options = {});

}  // namespace bnrun::train
