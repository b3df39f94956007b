#include "train/memory.h"

#include <fmt/format.h>
#include <algorithm>
#include <variant>

namespace bnrun::train {

namespace {

// Evaluation runs in batches of this many rows (trainer.cpp): the model's buffers grow to it.
constexpr double evaluation_rows = 4096;

}  // namespace

MemoryEstimate estimate_training_memory(const nn::ModelSpec& spec, std::size_t batch_size,
                                        const optim::OptimizerSettings& optimizer) {
  // Doubles throughout: 10^6 × 10^6 weights must not overflow on the way to being refused.
  MemoryEstimate estimate;
  double width = static_cast<double>(spec.inputs);
  double widths = 0;  // sum of the layer output widths
  double widest = width;
  for (const auto& layer : spec.layers) {
    if (const auto* dense = std::get_if<nn::DenseSpec>(&layer)) {
      const double units = static_cast<double>(dense->units);
      estimate.parameters += width * units + (dense->use_bias ? units : 0);
      width = units;
    } else if (std::holds_alternative<nn::BatchNormSpec>(layer)) {
      estimate.parameters += 4 * width;  // gamma, beta, running mean, running variance
    }
    widths += width;
    widest = std::max(widest, width);
  }
  const bool adam = std::holds_alternative<optim::AdamSettings>(optimizer);
  const double copies = 2 + (adam ? 2 : 1);  // values and gradients, plus the optimizer's state
  estimate.parameter_bytes = estimate.parameters * copies * sizeof(float);
  const double rows = std::max(static_cast<double>(batch_size), evaluation_rows);
  // Each layer's output, what BatchNorm keeps for backward (about as much again), and two gradient buffers.
  estimate.activation_bytes = (2 * widths + 2 * widest) * rows * sizeof(float);
  return estimate;
}

std::string format_bytes(double bytes) {
  if (bytes >= 1e12) return fmt::format("{:.1f} TB", bytes / 1e12);
  if (bytes >= 1e9) return fmt::format("{:.1f} GB", bytes / 1e9);
  if (bytes >= 1e6) return fmt::format("{:.0f} MB", bytes / 1e6);
  return fmt::format("{:.0f} kB", bytes / 1e3);
}

}  // namespace bnrun::train
