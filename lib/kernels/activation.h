// Elementwise nonlinearities (and the row-wise softmax), applied in place on a (rows × cols) buffer.
//
// Every derivative here is written in terms of the activation's OUTPUT y, so a layer only needs to keep its
// output for the backward pass: relu' = [y > 0], sigmoid' = y(1 − y), tanh' = 1 − y², and for softmax the
// Jacobian-vector product dx = y ⊙ (dy − Σ dy·y) per row.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "kernels/parallel.h"

namespace bnrun::kernels {

enum class Activation { linear, relu, sigmoid, tanh, softmax };

std::string_view activation_name(Activation activation);
std::optional<Activation> activation_from_name(std::string_view name);
std::vector<std::string_view> activation_names();

// output = f(input); output may be input (in place).
template <class T>
void activation_forward(const Compute& compute, Activation activation, const T* input, T* output, std::size_t rows, std::size_t cols);

// dx = dy ⊙ f'(y); dx may alias dy.
template <class T>
void activation_backward(const Compute& compute, Activation activation, const T* y, const T* dy, T* dx, std::size_t rows, std::size_t cols);

}  // namespace bnrun::kernels
