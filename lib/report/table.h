// Text tables for people at a terminal: the bn / no_bn comparison and the Keras-style model summary.
#pragma once

#include <string>
#include <vector>

#include "nn/model.h"
#include "report/results.h"

namespace bnrun::report {

// Header line (data and setup), the aligned comparison table, and the BN − no BN difference when both ran.
std::string comparison_table(const ExperimentReport& report);

// Layer, output shape, parameters (trainable / non-trainable), and totals, as Keras' model.summary().
std::string summary_table(const std::string& title, const std::vector<nn::LayerSummary>& layers, std::size_t inputs);

// 12345 → "12,345".
std::string with_thousands(std::size_t value);

}  // namespace bnrun::report
