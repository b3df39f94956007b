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
  // Rows per inference batch when a BatchNorm layer normalizes with batch statistics in inference
  // (running_stats false): then a row's output depends on its batch, and the batch size is part of the model.
  // 0 for every other model, whose inference is row-independent.
  std::size_t evaluation_batch_size = 0;
};

// The same model with every BatchNorm layer removed: the `no_bn` arm of the ablation.
ModelSpec without_batchnorm(const ModelSpec& spec);
bool has_batchnorm(const ModelSpec& spec);
// A BatchNorm layer has running_stats false.
bool uses_batch_statistics_in_inference(const std::vector<LayerSpec>& layers);

// Where the inference batch that starts at row `start` of `rows` ends. With an evaluation_batch_size (not 0),
// batches of that many rows, a last batch of one row joining the batch before it (alone, its variance would be
// zero); otherwise `default_rows` at a time.
std::size_t inference_batch_end(std::size_t evaluation_batch_size, std::size_t start, std::size_t rows,
                                std::size_t default_rows);

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
