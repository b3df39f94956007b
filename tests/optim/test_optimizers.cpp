// Optimizer updates against values worked out by hand from Keras' formulas.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "optim/optimizer.h"

using Catch::Detail::Approx;

namespace {

struct OneParameter {
  std::vector<double> values;
  std::vector<double> gradients;
  std::vector<bnrun::nn::Parameter<double>> list() { return {{"w", &values, &gradients, true}}; }
};

}  // namespace

TEST_CASE("Adam's first steps follow Keras: epsilon outside the square root, bias correction in the step size") {
  OneParameter p{{1.0, -2.0}, {0.5, 1e-9}};
  auto adam = bnrun::optim::make_optimizer<double>(bnrun::optim::AdamSettings{0.1, 0.9, 0.999, 1e-7});
  adam->step({}, p.list());
  // t = 1: m = 0.1·g, v = 0.001·g², α = 0.1·sqrt(0.001)/0.1 = sqrt(0.001)
  // w −= α·m/(sqrt(v) + ε) = sqrt(0.001)·0.05/(sqrt(0.001)·0.5 + 1e-7)
  CHECK(p.values[0] == Approx(1.0 - std::sqrt(0.001) * 0.05 / (std::sqrt(0.001) * 0.5 + 1e-7)).epsilon(1e-15));
  // A tiny gradient: ε dominates the denominator, so the step is far smaller than the learning rate.
  const double m = 0.1 * 1e-9;
  const double v = 0.001 * 1e-18;
  CHECK(p.values[1] == Approx(-2.0 - std::sqrt(0.001) * m / (std::sqrt(v) + 1e-7)).epsilon(1e-15));
  // t = 2 with the same gradient: m = 0.19·g, v = 0.001999·g², α = 0.1·sqrt(1 − 0.999²)/(1 − 0.9²)
  const double before = p.values[0];
  adam->step({}, p.list());
  const double alpha = 0.1 * std::sqrt(1.0 - 0.999 * 0.999) / (1.0 - 0.81);
  CHECK(p.values[0] == Approx(before - alpha * 0.095 / (std::sqrt(0.001999 * 0.25) + 1e-7)).epsilon(1e-14));
}

TEST_CASE("plain SGD moves against the gradient by the learning rate") {
  OneParameter p{{1.0}, {2.0}};
  auto sgd = bnrun::optim::make_optimizer<double>(bnrun::optim::SgdSettings{0.1, 0.0, false});
  sgd->step({}, p.list());
  CHECK(p.values[0] == Approx(0.8).epsilon(1e-15));
}

TEST_CASE("SGD momentum accumulates velocity, and Nesterov looks one step ahead") {
  OneParameter classic{{0.0}, {1.0}};
  OneParameter nesterov{{0.0}, {1.0}};
  auto momentum = bnrun::optim::make_optimizer<double>(bnrun::optim::SgdSettings{0.1, 0.9, false});
  auto ahead = bnrun::optim::make_optimizer<double>(bnrun::optim::SgdSettings{0.1, 0.9, true});
  momentum->step({}, classic.list());  // v = −0.1, w = −0.1
  momentum->step({}, classic.list());  // v = −0.19, w = −0.29
  CHECK(classic.values[0] == Approx(-0.29).epsilon(1e-14));
  ahead->step({}, nesterov.list());  // v = −0.1, w = 0.9·(−0.1) − 0.1 = −0.19
  ahead->step({}, nesterov.list());  // v = −0.19, w = −0.19 + 0.9·(−0.19) − 0.1 = −0.461
  CHECK(nesterov.values[0] == Approx(-0.461).epsilon(1e-14));
}

TEST_CASE("Adam in float takes 1 - beta from the double beta: the first step is the learning rate to float precision") {
  // At t = 1 with ε negligible, m̂/sqrt(v̂) = g/|g| exactly, so w moves by the learning rate. With 1 − β₂ taken in
  // float from float(0.999) (0.00099998713) the step came out 6e-6 too large, far beyond float rounding (6e-8).
  std::vector<float> values{0.0f, 0.0f};
  std::vector<float> gradients{1.0f, -0.25f};
  std::vector<bnrun::nn::Parameter<float>> list{{"w", &values, &gradients, true}};
  auto adam = bnrun::optim::make_optimizer<float>(bnrun::optim::AdamSettings{1.0, 0.9, 0.999, 1e-30});
  adam->step({}, list);
  CHECK(std::abs(values[0] + 1.0f) <= 4e-7f);
  CHECK(std::abs(values[1] - 1.0f) <= 4e-7f);
}
