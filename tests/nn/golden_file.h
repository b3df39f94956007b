// Reading the golden files that scripts/make_golden*.py write from PyTorch in float64 (tests/golden/*.json), and
// comparing against them.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace bnrun::testing {

inline constexpr double golden_tolerance = 1e-12;

inline nlohmann::json load_golden(const std::string& name) {
  std::ifstream in(std::string(BNRUN_SOURCE_DIR) + "/tests/golden/" + name);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

// A number or nested arrays of numbers, in row-major order.
inline std::vector<double> flatten(const nlohmann::json& value) {
  if (!value.is_array()) return {value.get<double>()};
  std::vector<double> result;
  for (const auto& item : value) {
    const auto inner = flatten(item);
    result.insert(result.end(), inner.begin(), inner.end());
  }
  return result;
}

inline void check_close(std::span<const double> actual, const std::vector<double>& expected, const std::string& what) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO(what << "[" << i << "]");
    CHECK(actual[i] == Catch::Detail::Approx(expected[i]).epsilon(golden_tolerance).margin(golden_tolerance));
  }
}

}  // namespace bnrun::testing
