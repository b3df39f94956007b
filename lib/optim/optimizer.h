// Optimizers, in Keras' exact update forms (so runs can be compared with Keras, and golden values with a
// hand-written PyTorch reference, tests/golden/):
//
// Adam, step t = 1, 2, …:  m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
//                          α = lr·sqrt(1−β2^t)/(1−β1^t),  p ← p − α·m / (sqrt(v) + ε)
//   (ε outside the sqrt and not bias-corrected, as Keras; PyTorch's ε is effectively ε/sqrt(1−β2^t) here.)
// SGD:  v ← μ·v − lr·g;  p ← p + v,  or with Nesterov  p ← p + μ·v − lr·g.  μ = 0 is plain SGD.
#pragma once

#include <cstddef>
#include <memory>
#include <variant>
#include <vector>

#include "nn/layer.h"

namespace bnrun::optim {

struct AdamSettings {
  double learning_rate = 1e-3;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
};

struct SgdSettings {
  double learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
};

using OptimizerSettings = std::variant<AdamSettings, SgdSettings>;

double learning_rate_of(const OptimizerSettings& settings);

template <class T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Applies one update from the gradients currently held by `parameters`. The list must be the same (same
  // order, same sizes) at every step: optimizer state is kept per position. The update runs within `compute`.
  virtual void step(const kernels::Compute& compute, const std::vector<nn::Parameter<T>>& parameters) = 0;
  // The learning rate of the following steps; a schedule changes it between epochs. The optimizer state
  // (moments, velocity, Adam's step count) is kept.
  virtual void set_learning_rate(double learning_rate) = 0;
  virtual double learning_rate() const = 0;
};

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerSettings& settings);

}  // namespace bnrun::optim
