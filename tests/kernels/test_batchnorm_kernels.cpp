// BatchNorm semantics pinned against values computed by hand (see the comments for the arithmetic).
#include <catch2/catch.hpp>

#include <vector>

#include "kernels/batchnorm.h"
#include "nn/layers/batchnorm.h"

using bnrun::nn::BatchNorm;
using bnrun::nn::BatchNormSpec;
using bnrun::nn::Matrix;
using bnrun::nn::Mode;
using bnrun::nn::RunningVariance;
using Catch::Detail::Approx;

namespace {

// x has two features over a batch of three rows:
//   feature 0: 1, 3, 5   mean 3, biased variance (4 + 0 + 4)/3 = 8/3
//   feature 1: 2, 6, 10  mean 6, biased variance (16 + 0 + 16)/3 = 32/3
Matrix<double> three_row_batch() {
  Matrix<double> x(3, 2);
  x.values = {1, 2, 3, 6, 5, 10};
  return x;
}

}  // namespace

TEST_CASE("batchnorm forward normalizes each feature with the batch mean and biased variance", "[levels]") {
  const Matrix<double> x = three_row_batch();
  const std::vector<double> gamma = {2.0, 1.0};
  const std::vector<double> beta = {0.5, 0.0};
  std::vector<double> y(6), x_hat(6), mean(2), variance(2), rstd(2);
  bnrun::kernels::batchnorm_forward_train({}, x.data(), 3, 2, gamma.data(), beta.data(), 1e-3,
                                          {y.data(), x_hat.data(), mean.data(), variance.data(), rstd.data()});
  CHECK(mean[0] == Approx(3.0).epsilon(1e-15));
  CHECK(mean[1] == Approx(6.0).epsilon(1e-15));
  CHECK(variance[0] == Approx(8.0 / 3.0).epsilon(1e-15));
  CHECK(variance[1] == Approx(32.0 / 3.0).epsilon(1e-15));
  // x_hat = (x − mean)/sqrt(variance + 0.001): −2/sqrt(2.6676667) = −1.2245152962941819 for feature 0,
  // −4/sqrt(10.6676667) = −1.224687465512062 for feature 1; the middle rows sit exactly on the mean.
  CHECK(x_hat[0] == Approx(-1.2245152962941819).epsilon(1e-14));
  CHECK(x_hat[1] == Approx(-1.224687465512062).epsilon(1e-14));
  CHECK(x_hat[2] == 0.0);
  CHECK(x_hat[4] == Approx(1.2245152962941819).epsilon(1e-14));
  // y = gamma·x_hat + beta
  CHECK(y[0] == Approx(2.0 * -1.2245152962941819 + 0.5).epsilon(1e-14));
  CHECK(y[2] == Approx(0.5).epsilon(1e-15));
  CHECK(y[5] == Approx(1.224687465512062).epsilon(1e-14));
}

TEST_CASE("batchnorm divides by sqrt(variance + epsilon), not by (std + epsilon) as the seed notebook wrote", "[levels]") {
  // One feature, values 0 and 2: mean 1, variance 1. With epsilon 0.5, the correct x_hat of the first row is
  // −1/sqrt(1.5) = −0.816496580927726; the seed's −1/(1 + 0.5) would be −0.6667.
  const std::vector<double> x = {0.0, 2.0};
  std::vector<double> y(2), x_hat(2), mean(1), variance(1), rstd(1);
  bnrun::kernels::batchnorm_forward_train<double>({}, x.data(), 2, 1, nullptr, nullptr, 0.5,
                                                  {y.data(), x_hat.data(), mean.data(), variance.data(), rstd.data()});
  CHECK(x_hat[0] == Approx(-0.816496580927726).epsilon(1e-14));
  CHECK(y[0] == x_hat[0]);
}

TEST_CASE("batchnorm statistics of float data are accumulated in double and stay exact for large offsets", "[levels]") {
  // 1e4 + small deviations: E[x²] − E[x]² in float would lose every digit of the variance.
  std::vector<float> x;
  for (int i = 0; i < 1000; ++i) x.push_back(10000.0f + (i % 2 == 0 ? 0.5f : -0.5f));
  std::vector<float> y(x.size()), x_hat(x.size()), mean(1), variance(1), rstd(1);
  bnrun::kernels::batchnorm_forward_train<float>({}, x.data(), x.size(), 1, nullptr, nullptr, 1e-3f,
                                                 {y.data(), x_hat.data(), mean.data(), variance.data(), rstd.data()});
  CHECK(mean[0] == Approx(10000.0f));
  CHECK(variance[0] == Approx(0.25f).epsilon(1e-6));
}

TEST_CASE("inference uses running statistics, not the batch's", "[levels]") {
  BatchNormSpec spec;
  spec.epsilon = 1e-3;
  BatchNorm<double> layer("batchnorm_1", 2, spec);
  layer.running_mean() = {1.0, -2.0};
  layer.running_variance() = {4.0, 0.25};
  layer.gamma() = {3.0, 1.0};
  layer.beta() = {0.0, 1.0};
  Matrix<double> x = three_row_batch();
  Matrix<double> y;
  layer.forward({}, x, y, Mode::inference);
  // Row 0, feature 0: 3·(1 − 1)/sqrt(4.001) + 0 = 0;  feature 1: (2 + 2)/sqrt(0.251) + 1 = 8.98405...
  CHECK(y(0, 0) == Approx(0.0).margin(1e-15));
  CHECK(y(0, 1) == Approx(4.0 / std::sqrt(0.251) + 1.0).epsilon(1e-14));
  // Row 2, feature 0: 3·(5 − 1)/sqrt(4.001) = 5.99925...
  CHECK(y(2, 0) == Approx(12.0 / std::sqrt(4.001)).epsilon(1e-14));
  // A single row gives the same answer as inside the batch: inference never looks at batch statistics.
  Matrix<double> single(1, 2);
  single.values = {5, 10};
  Matrix<double> single_y;
  layer.forward({}, single, single_y, Mode::inference);
  CHECK(single_y(0, 0) == y(2, 0));
  CHECK(single_y(0, 1) == y(2, 1));
  // ... and inference leaves the running statistics alone.
  CHECK(layer.running_mean() == std::vector<double>{1.0, -2.0});
  CHECK(layer.running_variance() == std::vector<double>{4.0, 0.25});
}

TEST_CASE("running statistics follow the Keras momentum convention with a biased variance by default", "[levels]") {
  BatchNormSpec spec;  // momentum 0.99, running mean 0, running variance 1
  BatchNorm<double> layer("batchnorm_1", 2, spec);
  Matrix<double> x = three_row_batch();
  Matrix<double> y;
  layer.forward({}, x, y, Mode::train);
  // running = 0.99·running + 0.01·batch
  CHECK(layer.running_mean()[0] == Approx(0.01 * 3.0).epsilon(1e-15));
  CHECK(layer.running_mean()[1] == Approx(0.01 * 6.0).epsilon(1e-15));
  CHECK(layer.running_variance()[0] == Approx(0.99 + 0.01 * 8.0 / 3.0).epsilon(1e-15));
  CHECK(layer.running_variance()[1] == Approx(0.99 + 0.01 * 32.0 / 3.0).epsilon(1e-15));
  layer.forward({}, x, y, Mode::train);
  CHECK(layer.running_mean()[0] == Approx(0.99 * 0.03 + 0.03).epsilon(1e-15));
}

TEST_CASE("running variance can use the unbiased batch variance, as PyTorch does", "[levels]") {
  BatchNormSpec spec;
  spec.momentum = 0.9;  // PyTorch's default 0.1 in its own convention
  spec.running_variance = RunningVariance::unbiased;
  BatchNorm<double> layer("batchnorm_1", 2, spec);
  Matrix<double> x = three_row_batch();
  Matrix<double> y;
  layer.forward({}, x, y, Mode::train);
  // unbiased = biased · m/(m − 1) = (8/3)·(3/2) = 4 and (32/3)·(3/2) = 16
  CHECK(layer.running_variance()[0] == Approx(0.9 + 0.1 * 4.0).epsilon(1e-15));
  CHECK(layer.running_variance()[1] == Approx(0.9 + 0.1 * 16.0).epsilon(1e-15));
  CHECK(layer.running_mean()[0] == Approx(0.1 * 3.0).epsilon(1e-15));
  // The normalization itself still uses the biased variance.
  CHECK(layer.batch_variance()[0] == Approx(8.0 / 3.0).epsilon(1e-15));
}
