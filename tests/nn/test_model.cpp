// Building a model from its spec: initialization that the experiments vary.
#include <catch2/catch.hpp>

#include "nn/layers/dense.h"
#include "nn/model.h"

using bnrun::nn::DenseSpec;
using bnrun::nn::ModelSpec;

namespace {

std::vector<float> first_kernel(const ModelSpec& spec) {
  bnrun::nn::Model<float> model(spec, 7);
  return *model.parameters().front().values;
}

}  // namespace

TEST_CASE("kernel_scale multiplies the seeded initial kernel and leaves the bias at zero") {
  DenseSpec dense;
  dense.units = 5;
  ModelSpec plain{3, {dense}};
  ModelSpec scaled = plain;
  std::get<DenseSpec>(scaled.layers[0]).kernel_scale = 8.0;
  const auto base = first_kernel(plain);
  const auto times_eight = first_kernel(scaled);
  REQUIRE(base.size() == 15);
  for (std::size_t i = 0; i < base.size(); ++i) CHECK(times_eight[i] == base[i] * 8.0f);  // a power of two: exact
  bnrun::nn::Model<float> model(scaled, 7);
  const auto parameters = model.parameters();
  REQUIRE(parameters.size() == 2);
  for (const float bias : *parameters[1].values) CHECK(bias == 0.0f);
}
