// Weight initializers, by Keras' definitions (fan_in = inputs, fan_out = units):
//   glorot_uniform U(±sqrt(6/(fan_in+fan_out)))   glorot_normal  truncated N, std sqrt(2/(fan_in+fan_out))
//   he_uniform     U(±sqrt(6/fan_in))             he_normal      truncated N, std sqrt(2/fan_in)
//   lecun_uniform  U(±sqrt(3/fan_in))             lecun_normal   truncated N, std sqrt(1/fan_in)
// Truncated normals are redrawn outside ±2σ and divided by 0.87962566103423978 (the std of a standard normal
// truncated at ±2), so the resulting std is the nominal one, as Keras does.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "core/random.h"

namespace bnrun::nn {

enum class Initializer { glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, zeros };

std::string_view initializer_name(Initializer initializer);
std::optional<Initializer> initializer_from_name(std::string_view name);
std::vector<std::string_view> initializer_names();

template <class T>
void initialize_kernel(Initializer initializer, std::size_t fan_in, std::size_t fan_out, Random& random,
                       std::vector<T>& kernel);

}  // namespace bnrun::nn
