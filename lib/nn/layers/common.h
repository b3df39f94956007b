// What every layer kind's file shares: how its JSON codec treats absent keys, how it describes its tensors, and
// what the model tells it when it builds. The contract a kind meets is written in nn/layer_kinds.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_reader.h"
#include "kernels/activation.h"

namespace bnrun::nn {

using kernels::Activation;

// The widest layer a config or a model file may ask for: it keeps a typo or a corrupt number from turning into a
// huge allocation.
inline constexpr std::int64_t max_layer_width = 1'000'000;

// One codec reads both config files and model files. A config may leave a key out and get its default; a model
// file writes every key out, so there an absent key means a damaged file and is an error.
enum class Defaults { allowed, refused };

// The ObjectReader getters, with `fallback` used only when defaults are allowed.
std::string read_choice(ObjectReader& reader, std::string_view key, std::string_view fallback,
                        const std::vector<std::string_view>& choices, Defaults defaults);
bool read_boolean(ObjectReader& reader, std::string_view key, bool fallback, Defaults defaults);
double read_number(ObjectReader& reader, std::string_view key, double fallback, const ObjectReader::Range& range,
                   Defaults defaults);
// An activation by name: always required when `fallback` is empty, as a standalone activation layer has no default.
Activation read_activation(ObjectReader& reader, std::string_view key, std::string_view fallback, Defaults defaults);

// One tensor of a layer as model files store it: weights.<layer name>.<key>, with this shape.
struct TensorInfo {
  std::string key;                 // "kernel", "running_mean": the layer's tensors are named "<layer>/<key>"
  std::vector<std::size_t> shape;  // {n} for a vector, {inputs, units} for a Dense kernel
  bool trainable;                  // a Parameter (the optimizer updates it) rather than a StateTensor
  // Its initial value is a no-op (gamma 1, beta 0, running statistics 0 and 1), so --init-from may leave it at that
  // value when the file lacks it; Dense weights have no neutral value and must come from the file.
  bool neutral_default;
  // A variance: a value below zero can only come from a damaged or hand-edited file (and would make sqrt NaN).
  bool non_negative = false;

  std::size_t size() const;
};

// Why a layer cannot take its input width (GroupNorm's groups must divide it): the key at fault and what is wrong,
// "5 does not divide the 64 features", for the caller to complete with the key path and where the width came from.
struct WidthProblem {
  std::string key;
  std::string message;
};

// What the model tells a layer it builds.
struct LayerPlace {
  std::string name;     // "<kind>_<ordinal + 1>", Keras-style: unique within the model
  std::size_t ordinal;  // how many layers of the same kind come before it
  std::size_t input_width;
  std::uint64_t seed;        // a kind that draws numbers takes Random::stream(seed, <kind>, ordinal)
  bool loss_applies_output;  // the last layer's softmax or sigmoid is left to the loss (see nn/model.h)
};

}  // namespace bnrun::nn
