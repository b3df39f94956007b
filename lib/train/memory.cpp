#include "train/memory.h"

#include <algorithm>
#include <variant>

namespace bnrun::train {

BatchRows batch_rows_for(std::size_t batch_size, std::size_t training_rows, std::size_t largest_split_rows) {
  return {std::min(batch_size, training_rows), std::min(evaluation_batch_rows, largest_split_rows)};
}

MemoryEstimate estimate_training_memory(const nn::ModelSpec& spec, BatchRows batch_rows,
                                        const optim::OptimizerSettings& optimizer) {
  // Byte counts in doubles: 10^6 × 10^6 weights times their copies must not overflow on the way to being refused.
  MemoryEstimate estimate;
  std::size_t width = spec.inputs;
  double widths = 0;  // sum of the layer output widths
  double widest = static_cast<double>(width);
  for (const auto& layer : spec.layers) {
    const nn::WeightCount count = nn::weight_count(layer, width);
    estimate.parameters += static_cast<double>(count.trainable + count.non_trainable);
    width = nn::output_width(layer, width);
    widths += static_cast<double>(width);
    widest = std::max(widest, static_cast<double>(width));
  }
  const bool adam = std::holds_alternative<optim::AdamSettings>(optimizer);
  const double copies = 2 + (adam ? 2 : 1);  // values and gradients, plus the optimizer's state
  estimate.parameter_bytes = estimate.parameters * copies * sizeof(float);
  const double rows = static_cast<double>(std::max(batch_rows.training, batch_rows.evaluation));
  // Each layer's output, what BatchNorm keeps for backward (about as much again), and two gradient buffers.
  estimate.activation_bytes = (2 * widths + 2 * widest) * rows * sizeof(float);
  return estimate;
}


}  // namespace bnrun::train
