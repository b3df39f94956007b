// What a model is made of, as plain data: the config layer fills these in, the model builder reads them.
// The layer kinds and their specs are listed in nn/layer_kinds.h. Nothing here knows about training.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "nn/layer_kinds.h"

namespace bnrun::nn {

struct ModelSpec {
  std::size_t inputs = 0;
  std::vector<LayerSpec> layers;
};

// The same model with every BatchNorm layer removed: the `no_bn` arm of the ablation.
ModelSpec without_batchnorm(const ModelSpec& spec);
bool has_batchnorm(const ModelSpec& spec);

// A layer of a model that cannot take the width the layer before it gives (nn/layer_kinds.h, input_width_problem).
struct LayerWidthProblem {
  std::size_t layer;        // its index in ModelSpec::layers
  std::string key;          // the key at fault: "groups"
  std::string message;      // "5 does not divide the 64 features of the layer before"
};

// The first layer that cannot take its input width. With spec.inputs == 0 (the data not read yet) the layers
// before the first one whose output width is known on its own (a Dense layer) are not checked.
std::optional<LayerWidthProblem> find_width_problem(const ModelSpec& spec);

}  // namespace bnrun::nn
