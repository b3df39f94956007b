#include "train/experiment.h"

namespace bnrun::train {

std::vector<ArmRun> run_experiment(const std::vector<Arm>& arms, const data::PreparedData& data,
                                   const ExperimentObserver& observer, const ExperimentOptions& options) {
  std::vector<ArmRun> runs;
  for (const auto& arm : arms) {
    if (observer.on_arm_start) observer.on_arm_start(arm.name);
    TrainingRecipe recipe = arm.recipe;
    recipe.keep_model = recipe.keep_model || options.keep_models;
    if (options.initialize) recipe.initialize = options.initialize;
    if (options.should_stop) recipe.should_stop = options.should_stop;
    ArmRun run;
    run.arm = arm.name;
    run.seed = recipe.training.seed;
    EpochObserver on_epoch;
    if (observer.on_epoch) on_epoch = [&](const EpochRecord& record) { observer.on_epoch(arm.name, record); };
    run.result = train_and_test(options.compute, recipe, data, on_epoch);
    if (observer.on_arm_end) observer.on_arm_end(run);
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace bnrun::train
