#include "train/experiment.h"

namespace bnrun::train {

std::vector<VariantRun> run_experiment(const config::Config& config, const data::PreparedData& data,
                                       const ExperimentObserver& observer, const ExperimentOptions& options) {
  std::vector<VariantRun> runs;
  for (const config::Variant variant : config.experiment.variants) {
    if (observer.on_variant_start) observer.on_variant_start(variant);
    TrainingRecipe recipe;
    recipe.model = config::model_spec(config, data.feature_names.size(), variant);
    recipe.training = config.training;
    recipe.loss = config::effective_loss(config);
    recipe.keep_model = options.keep_models;
    recipe.initialize = options.initialize;
    recipe.should_stop = options.should_stop;
    VariantRun run;
    run.variant = variant;
    run.seed = config.training.seed;
    EpochObserver on_epoch;
    if (observer.on_epoch) on_epoch = [&](const EpochRecord& record) { observer.on_epoch(variant, record); };
    run.result = train_and_test(recipe, data, on_epoch);
    if (observer.on_variant_end) observer.on_variant_end(run);
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace bnrun::train
