// The rows scikit-learn's train_test_split(test_size=f, random_state=N, shuffle=..., stratify=y) puts in the
// training and test sets, chosen exactly as scikit-learn 1.2 chooses them (ShuffleSplit / StratifiedShuffleSplit
// drawing from numpy's legacy RandomState, core/numpy_random.h), so a config can reproduce a notebook's split
// row for row ("dataset.split": {"method": "sklearn", "random_state": 42}).
//
//   not stratified: p = permutation(n); test = p[0 : n_test], train = p[n_test : n].
//   stratified:     per class, how many rows go to training and to test (_approximate_mode: the floors of the
//                   proportional shares, the rows left over to the largest remainders, ties among them drawn),
//                   then each class's rows (in file order) permuted, training taking the first and test the next;
//                   finally the training and the test lists are each permuted.
//   not shuffled:   train = the first n_train rows, test = the rest, in file order.
// with n_test = ceil(f · n) and n_train = n − n_test. Stratified labels are the class indices 0 … k−1, whose order
// is scikit-learn's np.unique order when the labels are integers or text (data/dataset.h sorts them so).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bnrun::data {

struct RowSplit {
  std::vector<std::size_t> train;  // row indices, in the order scikit-learn returns X_train
  std::vector<std::size_t> test;   // in the order of X_test
};

// `labels` (one class index per row, < class_count) are used only when `stratify`. Throws UserError with
// scikit-learn's reasons (a class of one row, fewer test or training rows than classes, stratified without
// shuffling, no training rows).
RowSplit sklearn_train_test_split(std::size_t rows, double test_fraction, std::uint32_t random_state, bool shuffle,
                                  bool stratify, const std::vector<std::int32_t>& labels, std::size_t class_count);

}  // namespace bnrun::data
