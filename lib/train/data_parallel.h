// Data-parallel training's share of the trainer: which rows of a batch each process takes, and the per-step
// exchange that keeps every process's model the same (training.distributed; the processes are nn::Replicas).
//
// A step on K processes: process r takes a contiguous slice of the batch's rows (below), runs forward and
// backward on it, with its loss gradient scaled by (its rows)/(the batch's rows), so that the sum over processes
// of their gradients is the gradient of the mean loss over the whole batch; then every process receives every
// process's gradients and adds them in rank order (in double, rounded once), so all processes take the same
// optimizer step and keep the same bits. BatchNorm layers exchange their own statistics (nn/layers/batchnorm.h).
#pragma once

#include <cstddef>
#include <vector>

#include "nn/layer.h"
#include "nn/replicas.h"

namespace bnrun::train {

// Rows [first, first + rows) of a batch of `count` rows are process `rank`'s of `size`: count/size each, and the
// first count % size processes one more. A process may get no rows (a batch smaller than the job).
struct Slice {
  std::size_t first = 0;
  std::size_t rows = 0;
};
Slice slice_of_batch(std::size_t count, int rank, int size);

// The gradient exchange of every step, with buffers kept from step to step.
class GradientExchange {
 public:
  explicit GradientExchange(const nn::Replicas& replicas) : replicas_(replicas) {}
  // Replaces every parameter's gradient by the sum of all processes' gradients, in rank order.
  void sum(const std::vector<nn::Parameter<float>>& parameters);

 private:
  const nn::Replicas& replicas_;
  std::vector<float> local_, all_;
};

// Throws std::logic_error unless every process holds the same bits in `tensors` (checked by a hash of each).
void require_same_model(const nn::Replicas& replicas, const std::vector<std::vector<float>*>& tensors);

}  // namespace bnrun::train
