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
