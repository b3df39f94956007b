// How much memory training a model will take, estimated before anything is allocated, so that a network too large
// for the machine is refused with the numbers instead of dying in an allocation (or swapping for an hour).
#pragma once

#include <cstddef>

#include "nn/spec.h"
#include "optim/optimizer.h"

namespace bnrun::train {

struct MemoryEstimate {
  double parameters = 0;        // trainable and non-trainable numbers in the model
  double parameter_bytes = 0;   // values, gradients and optimizer state (Adam: two moments; SGD: velocity)
  double activation_bytes = 0;  // layer outputs and backward buffers for a training batch or an evaluation batch
  double total_bytes() const { return parameter_bytes + activation_bytes; }
};

// Evaluation runs in batches of at most this many rows: big enough to amortize the kernels' start-up, small enough
// to bound memory. The trainer and the estimate below share it.
inline constexpr std::size_t evaluation_batch_rows = 4096;

// The rows a model's buffers grow to: a training batch is never larger than the training split (batch_size 10^8
// on 108 rows trains exactly like 108), an evaluation batch never larger than the largest split it evaluates.
struct BatchRows {
  std::size_t training = 0;
  std::size_t evaluation = 0;
};
BatchRows batch_rows_for(std::size_t batch_size, std::size_t training_rows, std::size_t largest_split_rows);

MemoryEstimate estimate_training_memory(const nn::ModelSpec& spec, BatchRows rows,
                                        const optim::OptimizerSettings& optimizer);

}  // namespace bnrun::train
