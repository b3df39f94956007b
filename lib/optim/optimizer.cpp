#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>

#include "kernels/levels.h"
#include "kernels/parallel.h"

namespace bnrun::optim {

namespace {

// A handful of multiply-adds and a square root per element.
constexpr std::size_t work_per_element = 8;

// One state vector per parameter, created at the first step.
template <class T>
void ensure_state(std::vector<std::vector<T>>& state, const std::vector<nn::Parameter<T>>& parameters) {
  if (state.size() == parameters.size()) return;
  state.clear();
  for (const auto& parameter : parameters) state.emplace_back(parameter.values->size(), T{0});
}

// Calls update(k, begin, end) on element ranges of the parameters, all of them in one parallel loop (one
// thread wake-up per step, not one per tensor; the elements are independent, so any split gives the same
// numbers).
template <class T, class Update>
void for_all_elements(const kernels::Compute& compute, const std::vector<nn::Parameter<T>>& parameters,
                      Update&& update) {
  std::vector<std::size_t> offsets{0};
  for (const auto& parameter : parameters) offsets.push_back(offsets.back() + parameter.values->size());
  kernels::parallel_for_blocks(compute, offsets.back(), work_per_element, [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      const std::size_t first = std::max(begin, offsets[k]);
      const std::size_t last = std::min(end, offsets[k + 1]);
      if (first < last) update(k, first - offsets[k], last - offsets[k]);
    }
  });
}

// The element loops of the updates, compiled per level (kernels/levels.h): each element is independent, so a
// wider vector changes nothing but the speed. Adam's square root and division are a tenth of the training time.
template <class T>
struct AdamUpdate {
  BNRUN_ALWAYS_INLINE static void run(T* values, const T* gradients, T* m, T* v, std::size_t begin, std::size_t end,
                                      T beta_1, T beta_2, T one_minus_beta_1, T one_minus_beta_2, T epsilon,
                                      T step_size) {
    for (std::size_t i = begin; i < end; ++i) {
      const T g = gradients[i];
      m[i] = beta_1 * m[i] + one_minus_beta_1 * g;
      v[i] = beta_2 * v[i] + one_minus_beta_2 * g * g;
      values[i] -= step_size * m[i] / (std::sqrt(v[i]) + epsilon);
    }
  }
};

template <class T>
class Adam final : public Optimizer<T> {
 public:
  explicit Adam(const AdamSettings& settings) : settings_(settings) {}

  void step(const kernels::Compute& compute, const std::vector<nn::Parameter<T>>& parameters) override {
    ensure_state(first_moment_, parameters);
    ensure_state(second_moment_, parameters);
    ++steps_;
    const double t = static_cast<double>(steps_);
    const auto step_size = static_cast<T>(settings_.learning_rate * std::sqrt(1.0 - std::pow(settings_.beta_2, t)) /
                                          (1.0 - std::pow(settings_.beta_1, t)));
    // Every constant is worked out in double from the configured β and rounded once to T, as the bias
    // correction above is (and as PyTorch does): 1 − β taken in float from float(β) would be 0.00099998713
    // for β₂ = 0.999, and the first steps about 6e-6 too large.
    const auto beta_1 = static_cast<T>(settings_.beta_1);
    const auto beta_2 = static_cast<T>(settings_.beta_2);
    const auto one_minus_beta_1 = static_cast<T>(1.0 - settings_.beta_1);
    const auto one_minus_beta_2 = static_cast<T>(1.0 - settings_.beta_2);
    const auto epsilon = static_cast<T>(settings_.epsilon);
    for_all_elements(compute, parameters, [&](std::size_t k, std::size_t begin, std::size_t end) {
      kernels::run_at_active_level<AdamUpdate<T>>(parameters[k].values->data(), parameters[k].gradients->data(),
                                                  first_moment_[k].data(), second_moment_[k].data(), begin, end, beta_1,
                                                  beta_2, one_minus_beta_1, one_minus_beta_2, epsilon, step_size);
    });
  }

  void set_learning_rate(double learning_rate) override { settings_.learning_rate = learning_rate; }
  double learning_rate() const override { return settings_.learning_rate; }

 private:
  AdamSettings settings_;
  std::vector<std::vector<T>> first_moment_, second_moment_;
  long long steps_ = 0;
};

template <class T>
class Sgd final : public Optimizer<T> {
 public:
  explicit Sgd(const SgdSettings& settings) : settings_(settings) {}

  void step(const kernels::Compute& compute, const std::vector<nn::Parameter<T>>& parameters) override {
    ensure_state(velocity_, parameters);
    const auto learning_rate = static_cast<T>(settings_.learning_rate);
    const auto momentum = static_cast<T>(settings_.momentum);
    const bool nesterov = settings_.nesterov;
    for_all_elements(compute, parameters, [&](std::size_t k, std::size_t begin, std::size_t end) {
      T* values = parameters[k].values->data();
      const T* gradients = parameters[k].gradients->data();
      T* velocity = velocity_[k].data();
      for (std::size_t i = begin; i < end; ++i) {
        velocity[i] = momentum * velocity[i] - learning_rate * gradients[i];
        values[i] += nesterov ? momentum * velocity[i] - learning_rate * gradients[i] : velocity[i];
      }
    });
  }

  void set_learning_rate(double learning_rate) override { settings_.learning_rate = learning_rate; }
  double learning_rate() const override { return settings_.learning_rate; }

 private:
  SgdSettings settings_;
  std::vector<std::vector<T>> velocity_;
};

}  // namespace

double learning_rate_of(const OptimizerSettings& settings) {
  return std::visit([](const auto& s) { return s.learning_rate; }, settings);
}

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerSettings& settings) {
  if (const auto* adam = std::get_if<AdamSettings>(&settings)) return std::make_unique<Adam<T>>(*adam);
  return std::make_unique<Sgd<T>>(std::get<SgdSettings>(settings));
}

template std::unique_ptr<Optimizer<float>> make_optimizer<float>(const OptimizerSettings&);
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(const OptimizerSettings&);

}  // namespace bnrun::optim
