// The ablation: the configured network (bn) and the same network with every BatchNorm layer removed (no_bn),
// trained from the same seed on the same splits and batches, one after the other.
#pragma once

#include <functional>
#include <vector>

#include "config/config.h"
#include "data/dataset.h"
#include "train/trainer.h"

namespace bnrun::train {

struct VariantRun {
  config::Variant variant;
  std::uint64_t seed = 0;
  RunResult result;
};

struct ExperimentObserver {
  std::function<void(config::Variant)> on_variant_start;
  std::function<void(config::Variant, const EpochRecord&)> on_epoch;
  std::function<void(const VariantRun&)> on_variant_end;
};

struct ExperimentOptions {
  bool keep_models = false;                           // each RunResult::model holds the trained model
  std::function<void(nn::Model<float>&)> initialize;  // replaces the seeded initial weights (--init-from)
  std::function<bool()> should_stop;                  // asked before every batch: true interrupts (Ctrl-C)
};

std::vector<VariantRun> run_experiment(const config::Config& config, const data::PreparedData& data,
                                       const ExperimentObserver& observer = {}, const ExperimentOptions& options = {});

}  // namespace bnrun::train
