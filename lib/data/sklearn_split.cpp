#include "data/sklearn_split.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/error.h"
#include "core/numpy_random.h"

namespace bnrun::data {

namespace {

// scikit-learn's _approximate_mode(class_counts, n_draws, rng): how many of `draws` rows each class gets, in
// proportion to `counts`. The floors first; the rows still to give go to the classes with the largest fractional
// parts, and among classes with equal fractional parts (compared exactly, as numpy does) to ones drawn at random.
std::vector<std::size_t> approximate_mode(const std::vector<std::size_t>& counts, std::size_t draws,
                                          NumpyRandomState& random) {
  std::size_t total = 0;
  for (const std::size_t count : counts) total += count;
  std::vector<double> floored(counts.size()), remainder(counts.size());
  double floored_sum = 0.0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    // numpy: class_counts / class_counts.sum() * n_draws, in that order, in float64.
    const double continuous = static_cast<double>(counts[k]) / static_cast<double>(total) * static_cast<double>(draws);
    floored[k] = std::floor(continuous);
    remainder[k] = continuous - floored[k];
    floored_sum += floored[k];
  }
  auto need_to_add = static_cast<std::int64_t>(static_cast<double>(draws) - floored_sum);
  if (need_to_add > 0) {
    std::vector<double> values = remainder;
    std::sort(values.begin(), values.end(), std::greater<>());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (const double value : values) {
      std::vector<std::size_t> classes;
      for (std::size_t k = 0; k < remainder.size(); ++k)
        if (remainder[k] == value) classes.push_back(k);
      const auto add_now = std::min<std::int64_t>(static_cast<std::int64_t>(classes.size()), need_to_add);
      // rng.choice(classes, size=add_now, replace=False) = classes[permutation(len)[:add_now]]
      const auto chosen = random.permutation(classes.size());
      for (std::int64_t i = 0; i < add_now; ++i) floored[classes[chosen[static_cast<std::size_t>(i)]]] += 1.0;
      need_to_add -= add_now;
      if (need_to_add == 0) break;
    }
  }
  std::vector<std::size_t> result(counts.size());
  for (std::size_t k = 0; k < counts.size(); ++k) result[k] = static_cast<std::size_t>(floored[k]);
  return result;
}

RowSplit stratified_split(std::size_t train_count, std::size_t test_count, NumpyRandomState& random,
                          const std::vector<std::int32_t>& labels, std::size_t class_count) {
  // np.split(np.argsort(y, kind="mergesort"), ...): each class's rows in file order.
  std::vector<std::vector<std::size_t>> class_rows(class_count);
  for (std::size_t row = 0; row < labels.size(); ++row) class_rows[static_cast<std::size_t>(labels[row])].push_back(row);
  std::vector<std::size_t> counts(class_count);
  for (std::size_t k = 0; k < class_count; ++k) counts[k] = class_rows[k].size();
  const std::size_t smallest = *std::min_element(counts.begin(), counts.end());
  if (smallest < 2)
    throw UserError(
        "dataset.split: a class has only 1 row; scikit-learn's stratified split needs at least 2 of each class");
  if (train_count < class_count)
    throw UserError(fmt::format("dataset.split: the training set ({} rows) must have at least one row of each of "
                                "the {} classes to be stratified",
                                train_count, class_count));
  if (test_count < class_count)
    throw UserError(fmt::format("dataset.split: the test set ({} rows) must have at least one row of each of the {} "
                                "classes to be stratified; raise test_fraction",
                                test_count, class_count));
  const auto train_per_class = approximate_mode(counts, train_count, random);
  std::vector<std::size_t> left(class_count);
  for (std::size_t k = 0; k < class_count; ++k) left[k] = counts[k] - train_per_class[k];
  const auto test_per_class = approximate_mode(left, test_count, random);
  RowSplit split;
  for (std::size_t k = 0; k < class_count; ++k) {
    const auto order = random.permutation(counts[k]);
    for (std::size_t i = 0; i < train_per_class[k] + test_per_class[k]; ++i)
      (i < train_per_class[k] ? split.train : split.test).push_back(class_rows[k][order[i]]);
  }
  split.train = random.permutation(std::move(split.train));
  split.test = random.permutation(std::move(split.test));
  return split;
}

}  // namespace

RowSplit sklearn_train_test_split(std::size_t rows, double test_fraction, std::uint32_t random_state, bool shuffle,
                                  bool stratify, const std::vector<std::int32_t>& labels, std::size_t class_count) {
  const auto test_count = static_cast<std::size_t>(std::ceil(test_fraction * static_cast<double>(rows)));
  if (test_count >= rows)
    throw UserError(fmt::format("dataset: test_fraction {} of {} rows leaves no training rows", test_fraction, rows));
  const std::size_t train_count = rows - test_count;
  RowSplit split;
  if (!shuffle) {
    if (stratify)
      throw UserError("dataset: a stratified scikit-learn split needs \"shuffle\": true (as train_test_split)");
    for (std::size_t row = 0; row < rows; ++row) (row < train_count ? split.train : split.test).push_back(row);
    return split;
  }
  NumpyRandomState random(random_state);
  if (stratify) return stratified_split(train_count, test_count, random, labels, class_count);
  const auto order = random.permutation(rows);
  split.test.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(test_count));
  split.train.assign(order.begin() + static_cast<std::ptrdiff_t>(test_count), order.end());
  return split;
}

}  // namespace bnrun::data
