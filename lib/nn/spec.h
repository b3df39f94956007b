// What a model is made of, as plain data: the config layer fills these in, the model builder reads them.
// The layer kinds and their specs are listed in nn/layer_kinds.h. Nothing here knows about training.
#pragma once

#include <cstddef>
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

}  // namespace bnrun::nn
