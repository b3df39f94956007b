// How much memory training a model will take, estimated before anything is allocated, so that a network too large
// for the machine is refused with the numbers instead of dying in an allocation (or swapping for an hour).
#pragma once

#include <cstddef>
#include <string>

#include "nn/spec.h"
#include "optim/optimizer.h"

namespace bnrun::train {

struct MemoryEstimate {
  double parameters = 0;        // trainable and non-trainable numbers in the model
  double parameter_bytes = 0;   // values, gradients and optimizer state (Adam: two moments; SGD: velocity)
  double activation_bytes = 0;  // layer outputs and backward buffers for a training batch or an evaluation batch
  double total_bytes() const { return parameter_bytes + activation_bytes; }
};

MemoryEstimate estimate_training_memory(const nn::ModelSpec& spec, std::size_t batch_size,
                                        const optim::OptimizerSettings& optimizer);

// "1.5 GB", "320 MB": for messages.
std::string format_bytes(double bytes);

}  // namespace bnrun::train
