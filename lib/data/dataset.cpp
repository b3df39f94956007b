#include "data/dataset.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "core/error.h"
#include "core/random.h"
#include "core/text.h"
#include "data/csv.h"
#include "data/csv/delimiter.h"
#include "data/csv/file.h"
#include "data/csv/messages.h"
#include "data/sklearn_split.h"
#include "kernels/parallel.h"

namespace bnrun::data {

namespace {

bool is_integer_text(const std::string& text, long long& value) {
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  return error == std::errc() && stop == end;
}

// The first row whose target is the table's value `code` (one exists for every code).
std::size_t first_row_with_target(const CsvTable& table, std::uint32_t code) {
  return static_cast<std::size_t>(std::find(table.target_codes.begin(), table.target_codes.end(), code) -
                                  table.target_codes.begin());
}

// Names and labels go into results.json and model files, which must be valid UTF-8: a file in another encoding
// (Latin-1, UTF-16) is refused here, naming the line, rather than failing when the results are written.
void require_utf8_text(const CsvTable& table) {
  auto check = [&](const std::string& text, const auto& where) {
    const std::size_t offset = invalid_utf8_offset(text);
    if (offset != std::string_view::npos)
      throw UserError(fmt::format("{}: {} is not valid UTF-8 (byte 0x{:02X} at offset {}); save the file as UTF-8",
                                  table.path, where(), static_cast<unsigned char>(text[offset]), offset));
  };
  for (const auto& name : table.feature_names) check(name, [] { return "a column name in the header (line 1)"; });
  check(table.target_name, [] { return "the target column's name (line 1)"; });
  // Each distinct label once, in order of first appearance: the first bad one is on the first bad row.
  for (std::uint32_t code = 0; code < table.target_values.size(); ++code)
    check(table.target_values[code], [&] {
      return fmt::format("the {} label on line {}", table.target_name, table.line(first_row_with_target(table, code)));
    });
}

// A cell's text as a finite number ("+1.5", "-2e3", " 7 " with spaces around it), or nothing.
std::optional<double> number_in(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.size() > 1 && text.front() == '+') text.remove_prefix(1);
  double value = 0.0;
  const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || stop != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

// Each distinct text is parsed once, in order of first appearance, so a cell that is no number is reported at the
// first row that has it.
std::vector<double> numeric_target_values(const CsvTable& table) {
  std::vector<double> value_of_code(table.target_values.size());
  for (std::uint32_t code = 0; code < table.target_values.size(); ++code) {
    const auto value = number_in(table.target_values[code]);
    if (!value)
      throw UserError(fmt::format("{}:{}: the target column '{}' holds \"{}\", not a finite number; a regression "
                                  "loss (training.loss mse, mae or huber) needs a numeric target",
                                  table.path, table.line(first_row_with_target(table, code)), table.target_name,
                                  table.target_values[code]));
    value_of_code[code] = *value;
  }
  std::vector<double> targets(table.rows);
  for (std::size_t i = 0; i < table.rows; ++i) targets[i] = value_of_code[table.target_codes[i]];
  return targets;
}

namespace {

// More distinct fractional numbers than this in a classification target: it is almost surely a regression target.
constexpr std::size_t most_fractional_classes = 10;

// Distinct labels in class order: numeric order when all are integers ("2" before "10"), else text order.
// Classification needs at least two.
std::vector<std::string> class_names_of(const CsvTable& table) {
  require_utf8_text(table);
  const std::set<std::string_view> distinct(table.target_values.begin(), table.target_values.end());
  std::vector<std::string> names(distinct.begin(), distinct.end());
  long long value = 0;
  const bool all_integers =
      std::all_of(names.begin(), names.end(), [&](const std::string& name) { return is_integer_text(name, value); });
  if (!all_integers && names.size() > most_fractional_classes &&
      std::all_of(names.begin(), names.end(), [](const std::string& name) { return number_in(name).has_value(); }))
    throw UserError(fmt::format("{}: column '{}' holds {} distinct fractional numbers (\"{}\", \"{}\", …), not "
                                "classes; for regression set training.loss to \"mse\", \"mae\" or \"huber\" and end "
                                "the model in a Dense layer of 1 unit with no activation",
                                table.path, table.target_name, names.size(), names[0], names[1]));
  if (all_integers)
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      long long x = 0;
      long long y = 0;
      is_integer_text(a, x);
      is_integer_text(b, y);
      return x < y;
    });
  if (names.size() < 2)
    throw UserError(fmt::format("{}: column '{}' has only one class (\"{}\"); classification needs at least two",
                                table.path, table.target_name, names.front()));
  return names;
}

std::vector<std::int32_t> encode_labels(const CsvTable& table, const std::vector<std::string>& class_names) {
  std::map<std::string, std::int32_t, std::less<>> index;
  for (std::size_t k = 0; k < class_names.size(); ++k) index[class_names[k]] = static_cast<std::int32_t>(k);
  // Each distinct label is looked up once, in order of first appearance, so an unknown one is reported at the
  // first row that has it, as a row-by-row check would.
  std::vector<std::int32_t> class_of_code(table.target_values.size());
  for (std::uint32_t code = 0; code < table.target_values.size(); ++code) {
    const auto found = index.find(table.target_values[code]);
    if (found == index.end())
      throw UserError(fmt::format("{}:{}: class \"{}\" of column '{}' does not occur in the training data", table.path,
                                  table.line(first_row_with_target(table, code)), table.target_values[code],
                                  table.target_name));
    class_of_code[code] = found->second;
  }
  std::vector<std::int32_t> labels(table.rows);
  for (std::size_t i = 0; i < table.rows; ++i) labels[i] = class_of_code[table.target_codes[i]];
  return labels;
}

CsvOptions csv_options_for(const DatasetConfig& dataset, const kernels::Compute& compute) {
  return CsvOptions{.delimiter = dataset.delimiter,
                    .target_column = dataset.target,
                    .feature_columns = dataset.features,
                    .compute = compute,
                    .allow_special_file = dataset.allow_special_file};
}

void require_same_features(const CsvTable& test_table, const CsvTable& train_table) {
  if (test_table.feature_names != train_table.feature_names)
    throw UserError(fmt::format("{}: feature columns differ from those of {}", test_table.path, train_table.path));
}

// The rows of a parsed table, labelled. The cell texts (32 bytes and more per row) and line numbers are not needed
// once the labels are encoded: they go with the table, which lowers the peak while the rows are ordered and split.
LabelledRows labelled(CsvTable&& table, std::vector<std::int32_t>&& labels, std::vector<double>&& targets = {}) {
  return {std::move(table.path), table.rows, std::move(table.features), std::move(labels), std::move(targets)};
}

// A numeric target's rows: every label 0 (one "class", so that the splitting code needs no second path).
LabelledRows with_numeric_target(CsvTable&& table) {
  require_utf8_text(table);
  auto targets = numeric_target_values(table);
  std::vector<std::int32_t> labels(table.rows, 0);
  return labelled(std::move(table), std::move(labels), std::move(targets));
}

// Reorders the rows of a (rows × width) matrix in place so that row i becomes the old row order[i], following
// the permutation's cycles with one row of scratch.
void permute_rows(LabelledRows& rows, std::size_t width, const std::vector<std::size_t>& order) {
  AlignedVector<float>& values = rows.features;
  std::vector<std::int32_t>& labels = rows.labels;
  std::vector<double>& targets = rows.targets;
  const bool numeric = !targets.empty();
  std::vector<bool> placed(order.size(), false);
  std::vector<float> scratch(width);
  for (std::size_t start = 0; start < order.size(); ++start) {
    if (placed[start] || order[start] == start) continue;
    std::copy_n(values.data() + start * width, width, scratch.data());
    const std::int32_t scratch_label = labels[start];
    const double scratch_target = numeric ? targets[start] : 0.0;
    std::size_t target = start;
    for (std::size_t source = order[target]; source != start; source = order[target]) {
      std::copy_n(values.data() + source * width, width, values.data() + target * width);
      labels[target] = labels[source];
      if (numeric) targets[target] = targets[source];
      placed[target] = true;
      target = source;
    }
    std::copy_n(scratch.data(), width, values.data() + target * width);
    labels[target] = scratch_label;
    if (numeric) targets[target] = scratch_target;
    placed[target] = true;
  }
}

// Cuts rows into splits: the first front_counts.size() splits take the given numbers of rows from the front (after
// reordering by `order`; an empty order keeps the file's order), the last split takes the rest. The rows are taken
// over: the last split reuses their storage, so the data is never held twice (a 60,000 × 784 training set is
// 188 MB).
std::vector<Split> cut_rows(LabelledRows&& rows, std::size_t width, const std::vector<std::size_t>& order,
                            const std::vector<std::size_t>& front_counts) {
  permute_rows(rows, width, order);
  std::vector<Split> splits;
  std::size_t first = 0;
  for (const std::size_t count : front_counts) {
    Split split;
    split.features.reshape(count, width);
    std::copy_n(rows.features.data() + first * width, count * width, split.features.data());
    split.labels.assign(rows.labels.begin() + static_cast<std::ptrdiff_t>(first),
                        rows.labels.begin() + static_cast<std::ptrdiff_t>(first + count));
    if (!rows.targets.empty())
      split.targets.assign(rows.targets.begin() + static_cast<std::ptrdiff_t>(first),
                           rows.targets.begin() + static_cast<std::ptrdiff_t>(first + count));
    splits.push_back(std::move(split));
    first += count;
  }
  Split rest;
  rows.features.erase(rows.features.begin(), rows.features.begin() + static_cast<std::ptrdiff_t>(first * width));
  rows.labels.erase(rows.labels.begin(), rows.labels.begin() + static_cast<std::ptrdiff_t>(first));
  if (!rows.targets.empty())
    rows.targets.erase(rows.targets.begin(), rows.targets.begin() + static_cast<std::ptrdiff_t>(first));
  rest.features.rows = rows.rows - first;
  rest.features.cols = width;
  rest.features.values = std::move(rows.features);
  rest.labels = std::move(rows.labels);
  rest.targets = std::move(rows.targets);
  splits.push_back(std::move(rest));
  return splits;
}

// The same splits as cut_rows, copied out of rows that stay as they are (shared by other runs). Each row is
// appended to reserved storage rather than copied over zeros: a split is written once (most of the cost is the
// first touch of its pages).
std::vector<Split> cut_rows(const LabelledRows& rows, std::size_t width, const std::vector<std::size_t>& order,
                            const std::vector<std::size_t>& front_counts) {
  const auto source_row = [&](std::size_t position) { return order.empty() ? position : order[position]; };
  std::vector<Split> splits;
  std::size_t first = 0;
  for (std::size_t split_index = 0; split_index <= front_counts.size(); ++split_index) {
    const std::size_t count = split_index < front_counts.size() ? front_counts[split_index] : rows.rows - first;
    Split split;
    split.features.rows = count;
    split.features.cols = width;
    split.features.values.reserve(count * width);
    split.labels.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const float* const row = rows.features.data() + source_row(first + i) * width;
      split.features.values.insert(split.features.values.end(), row, row + width);
      split.labels.push_back(rows.labels[source_row(first + i)]);
      if (!rows.targets.empty()) split.targets.push_back(rows.targets[source_row(first + i)]);
    }
    splits.push_back(std::move(split));
    first += count;
  }
  return splits;
}

std::vector<std::size_t> concatenate(std::initializer_list<std::vector<std::size_t>> parts) {
  std::vector<std::size_t> result;
  for (const auto& part : parts) result.insert(result.end(), part.begin(), part.end());
  return result;
}

std::vector<std::size_t> shuffled_rows(std::size_t count, bool shuffle, std::uint64_t seed) {
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  if (shuffle) Random::stream(seed, "split").shuffle(order);
  return order;
}

// Chooses `count` of the rows in `order`: the first `count`, or, when stratified, per class in proportion to the
// class's share of `order` (largest remainders get the leftover rows, ties to the lower class index), each class's
// rows taken from the front of `order` — or from its back when `from_back` (the validation part is the trailing
// rows, as Keras' validation_split). Returns a mark per table row.
std::vector<bool> choose_rows(const std::vector<std::size_t>& order, const std::vector<std::int32_t>& labels,
                              std::size_t class_count, std::size_t count, bool stratify, bool from_back) {
  std::vector<bool> chosen(labels.size(), false);
  const auto take = [&](auto&& accept) {
    if (from_back)
      std::for_each(order.rbegin(), order.rend(), accept);
    else
      std::for_each(order.begin(), order.end(), accept);
  };
  if (!stratify) {
    std::size_t left = count;
    take([&](std::size_t row) {
      if (left > 0) {
        chosen[row] = true;
        --left;
      }
    });
    return chosen;
  }
  std::vector<std::size_t> class_rows(class_count, 0);
  for (const std::size_t row : order) ++class_rows[static_cast<std::size_t>(labels[row])];
  std::vector<std::size_t> quota(class_count);
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t assigned = 0;
  for (std::size_t k = 0; k < class_count; ++k) {
    const double exact =
        static_cast<double>(class_rows[k]) * static_cast<double>(count) / static_cast<double>(order.size());
    quota[k] = static_cast<std::size_t>(std::floor(exact));
    assigned += quota[k];
    remainders.push_back({-(exact - std::floor(exact)), k});
  }
  std::sort(remainders.begin(), remainders.end());
  for (std::size_t r = 0; assigned < count && r < remainders.size(); ++r, ++assigned) ++quota[remainders[r].second];
  take([&](std::size_t row) {
    auto& left = quota[static_cast<std::size_t>(labels[row])];
    if (left > 0) {
      chosen[row] = true;
      --left;
    }
  });
  return chosen;
}

// The scale a standardization divides by: the deviation, or 1 for a constant column (as scikit-learn's
// StandardScaler); tiny deviations are float noise, not signal.
double scale_for(double deviation, double mean) {
  return deviation > 1e-12 * std::max(1.0, std::abs(mean)) ? deviation : 1.0;
}

// The mean and deviation of each column over the rows of every matrix in `parts`, in that order.
Standardizer fit_standardizer(std::initializer_list<const nn::Matrix<float>*> parts) {
  const std::size_t width = (*parts.begin())->cols;
  Standardizer result;
  result.mean.assign(width, 0.0);
  result.scale.assign(width, 1.0);
  std::size_t rows = 0;
  for (const auto* features : parts) rows += features->rows;
  if (rows == 0) return result;
  for (const auto* features : parts)
    for (std::size_t i = 0; i < features->rows; ++i)
      for (std::size_t j = 0; j < width; ++j) result.mean[j] += (*features)(i, j);
  for (double& mean : result.mean) mean /= static_cast<double>(rows);
  std::vector<double> squares(width, 0.0);
  for (const auto* features : parts)
    for (std::size_t i = 0; i < features->rows; ++i)
      for (std::size_t j = 0; j < width; ++j) {
        const double centered = (*features)(i, j) - result.mean[j];
        squares[j] += centered * centered;
      }
  for (std::size_t j = 0; j < width; ++j) {
    result.scale[j] = scale_for(std::sqrt(squares[j] / static_cast<double>(rows)), result.mean[j]);
  }
  return result;
}

// Cross-validation: the fold (0-based) of each table row, dealt in `order`. Unstratified, in runs of consecutive
// rows, the first n mod K folds one row longer (scikit-learn's KFold sizes); stratified, class by class (each
// class's rows in `order`) round-robin, carrying on from the fold where the last class stopped — so each class's
// rows and each fold's size are within one row of an even share.
std::vector<std::size_t> deal_into_folds(const std::vector<std::size_t>& order, const std::vector<std::int32_t>& labels,
                                         std::size_t class_count, std::size_t folds, bool stratify) {
  std::vector<std::size_t> fold_of(labels.size(), 0);
  if (!stratify) {
    const std::size_t base = order.size() / folds, longer = order.size() % folds;
    std::size_t position = 0;
    for (std::size_t fold = 0; fold < folds; ++fold)
      for (std::size_t i = 0; i < base + (fold < longer ? 1 : 0); ++i) fold_of[order[position++]] = fold;
    return fold_of;
  }
  std::size_t next = 0;
  for (std::size_t k = 0; k < class_count; ++k)
    for (const std::size_t row : order)
      if (static_cast<std::size_t>(labels[row]) == k) fold_of[row] = next++ % folds;
  return fold_of;
}

// The random_state of a scikit-learn split: the config's, else the run's seed (numpy takes seeds below 2^32).
std::uint32_t sklearn_random_state(const DatasetConfig& dataset, std::uint64_t seed) {
  if (dataset.split_random_state) return *dataset.split_random_state;
  if (seed > 0xffffffffULL)
    throw UserError(fmt::format("dataset.split.random_state: the run's seed {} is too large for a scikit-learn "
                                "split (numpy seeds are below 2^32); set dataset.split.random_state",
                                seed));
  return static_cast<std::uint32_t>(seed);
}

// Splits `train_rows` into training and validation parts, each in `train_rows`' order: validation is the last
// n − ⌊n·(1 − fraction)⌋ rows (Keras' validation_split), per class in proportion when stratified.
void split_validation(const std::vector<std::size_t>& train_rows, const std::vector<std::int32_t>& labels,
                      std::size_t class_count, double fraction, bool stratify, std::vector<std::size_t>& train,
                      std::vector<std::size_t>& validation) {
  const auto keep = static_cast<std::size_t>(static_cast<double>(train_rows.size()) * (1.0 - fraction));
  const auto is_validation =
      choose_rows(train_rows, labels, class_count, train_rows.size() - keep, stratify, /*from_back=*/true);
  train.clear();
  validation.clear();
  for (const std::size_t row : train_rows) (is_validation[row] ? validation : train).push_back(row);
}

// The advice depends on what was asked: stratification cannot help when it is already on (the class has too few
// rows for the test and validation fractions), and with separate files there is no split to stratify.
void require_every_class_in_training(const Split& train, const std::vector<std::string>& class_names,
                                     const std::string& source, const DatasetConfig& dataset) {
  std::vector<std::size_t> counts(class_names.size(), 0);
  for (const auto label : train.labels) ++counts[static_cast<std::size_t>(label)];
  const std::string advice =
      dataset.has_separate_test_file()
          ? fmt::format("use a smaller validation_fraction (now {}) or more rows of it", dataset.validation_fraction)
      : dataset.stratify
          ? fmt::format("stratified, it has too few rows for test_fraction {} and validation_fraction {}: use "
                        "smaller fractions or more rows of it",
                        dataset.test_fraction, dataset.validation_fraction)
          : "use \"stratify\": true, a smaller test/validation fraction, or more data";
  for (std::size_t k = 0; k < counts.size(); ++k)
    if (counts[k] == 0)
      throw UserError(fmt::format("{}: class \"{}\" has no rows in the training split; {}", source, class_names[k],
                                  advice));
}

// Fits a numeric target's standardization on the training rows (as scikit-learn's StandardScaler: population
// deviation, 1 for a constant target) and gives every split the values the network fits.
void scale_targets(PreparedData& data, bool standardize_target) {
  if (standardize_target) {
    double sum = 0.0;
    for (const double y : data.train.targets) sum += y;
    const double mean = sum / static_cast<double>(data.train.targets.size());
    double squares = 0.0;
    for (const double y : data.train.targets) squares += (y - mean) * (y - mean);
    const double deviation = std::sqrt(squares / static_cast<double>(data.train.targets.size()));
    data.target_scaling = {mean, scale_for(deviation, mean)};
  }
  for (Split* split : {&data.train, &data.validation, &data.test}) {
    split->scaled_targets.resize(split->targets.size());
    for (std::size_t i = 0; i < split->targets.size(); ++i)
      split->scaled_targets[i] = static_cast<float>(data.target_scaling.scaled(split->targets[i]));
  }
}

}  // namespace

void standardize(nn::Matrix<float>& features, const Standardizer& standardizer) {
  for (std::size_t i = 0; i < features.rows; ++i)
    for (std::size_t j = 0; j < features.cols; ++j)
      features(i, j) = static_cast<float>((features(i, j) - standardizer.mean[j]) / standardizer.scale[j]);
}

LoadedDataset load_dataset(const DatasetConfig& dataset, const kernels::Compute& compute) {
  CsvOptions options = csv_options_for(dataset, compute);
  LoadedDataset result;
  // Says which delimiter was found, when it is not the comma everyone expects; a test file is read with the
  // training file's.
  const auto found = [&](const CsvTable& table) {
    result.delimiter = table.delimiter;
    if (options.delimiter == detect_delimiter && table.delimiter != ',')
      spdlog::info("{}: cells separated by {} (found from the header and first rows; dataset.delimiter sets it)",
                   table.path, csv::delimiter_name(table.delimiter));
    options.delimiter = table.delimiter;
  };
  if (!dataset.has_separate_test_file()) {
    CsvTable table = read_csv(dataset.path, options);
    found(table);
    result.files = {{dataset.path, table.source}};
    result.feature_names = table.feature_names;
    result.numeric_target = dataset.numeric_target;
    if (dataset.numeric_target) {
      result.rows = with_numeric_target(std::move(table));
    } else {
      result.class_names = class_names_of(table);
      auto labels = encode_labels(table, result.class_names);
      result.rows = labelled(std::move(table), std::move(labels));
    }
  } else {
    CsvTable train_table = read_csv(dataset.train_path, options);
    found(train_table);
    CsvTable test_table = read_csv(dataset.test_path, options);
    result.files = {{dataset.train_path, train_table.source}, {dataset.test_path, test_table.source}};
    require_same_features(test_table, train_table);
    result.feature_names = train_table.feature_names;
    result.numeric_target = dataset.numeric_target;
    if (dataset.numeric_target) {
      result.rows = with_numeric_target(std::move(train_table));
      result.test_rows = with_numeric_target(std::move(test_table));
      return result;
    }
    result.class_names = class_names_of(train_table);
    auto train_labels = encode_labels(train_table, result.class_names);
    auto test_labels = encode_labels(test_table, result.class_names);
    result.rows = labelled(std::move(train_table), std::move(train_labels));
    result.test_rows = labelled(std::move(test_table), std::move(test_labels));
  }
  return result;
}

namespace {

// One run's split and scaling of loaded rows. `Loaded` is `const LoadedDataset&` (the rows are copied, and stay
// for other runs) or `LoadedDataset` (an rvalue: they are taken over and split in place); the cut_rows overload
// follows from it.
template <class Loaded>
PreparedData split_and_scale(Loaded&& loaded, const DatasetConfig& dataset, std::uint64_t seed,
                             bool keep_unscaled_test) {
  PreparedData result;
  result.files = loaded.files;
  result.delimiter = loaded.delimiter;
  result.feature_names = loaded.feature_names;
  result.class_names = loaded.class_names;
  result.numeric_target = loaded.numeric_target;
  // A numeric target's rows all carry label 0: one class, for the splitting code below.
  const std::size_t class_count = loaded.numeric_target ? 1 : result.class_names.size();
  const std::size_t width = result.feature_names.size();
  const std::string path = loaded.rows.path;
  const std::size_t rows = loaded.rows.rows;
  const std::vector<std::int32_t>& labels = loaded.rows.labels;
  std::vector<std::size_t> train_part, validation_part;
  if (!loaded.test_rows) {
    const auto test_count = static_cast<std::size_t>(std::ceil(dataset.test_fraction * static_cast<double>(rows)));
    if (test_count >= rows)
      throw UserError(
          fmt::format("{}: test_fraction {} of {} rows leaves no training rows", path, dataset.test_fraction, rows));
    std::vector<std::size_t> test_rows, train_rows;
    if (dataset.cross_validated()) {
      if (dataset.fold < 1 || dataset.fold > dataset.folds)
        throw UserError(fmt::format("dataset.cross_validation.fold: a cross-validated run tests on one of the {} "
                                    "folds (1 … {}); a study makes one run per fold",
                                    dataset.folds, dataset.folds));
      if (dataset.folds > rows)
        throw UserError(fmt::format("{}: {} cross-validation folds need at least as many rows; it has {}", path,
                                    dataset.folds, rows));
      const auto order = shuffled_rows(rows, dataset.shuffle, dataset.split_random_state.value_or(seed));
      const auto fold_of = deal_into_folds(order, labels, class_count, dataset.folds,
                                           dataset.stratify_folds);
      for (const std::size_t row : order) (fold_of[row] == dataset.fold - 1 ? test_rows : train_rows).push_back(row);
    } else if (dataset.split_method == SplitMethod::sklearn) {
      auto split = sklearn_train_test_split(rows, dataset.test_fraction, sklearn_random_state(dataset, seed),
                                            dataset.shuffle, dataset.stratify, labels, class_count);
      test_rows = std::move(split.test);
      train_rows = std::move(split.train);
    } else {
      const auto order = shuffled_rows(rows, dataset.shuffle, dataset.split_random_state.value_or(seed));
      const auto is_test =
          choose_rows(order, labels, class_count, test_count, dataset.stratify, /*from_back=*/false);
      for (const std::size_t row : order) (is_test[row] ? test_rows : train_rows).push_back(row);
    }
    split_validation(train_rows, labels, class_count, dataset.validation_fraction, dataset.stratify,
                     train_part, validation_part);
    auto splits =
        cut_rows(std::forward<Loaded>(loaded).rows, width, concatenate({test_rows, validation_part, train_part}),
                 {test_rows.size(), validation_part.size()});
    result.test = std::move(splits[0]);
    result.validation = std::move(splits[1]);
    result.train = std::move(splits[2]);
  } else {
    split_validation(shuffled_rows(rows, dataset.shuffle, dataset.split_random_state.value_or(seed)), labels, class_count,
                     dataset.validation_fraction, /*stratify=*/false, train_part, validation_part);
    auto splits = cut_rows(std::forward<Loaded>(loaded).rows, width, concatenate({validation_part, train_part}),
                           {validation_part.size()});
    result.validation = std::move(splits[0]);
    result.train = std::move(splits[1]);
    result.test = std::move(cut_rows(*std::forward<Loaded>(loaded).test_rows, width, {}, {})[0]);
  }
  if (!result.numeric_target) require_every_class_in_training(result.train, result.class_names, path, dataset);
  if (result.train.rows() == 0) throw UserError("dataset: no rows are left for training after the splits");
  if (result.numeric_target) scale_targets(result, dataset.standardize_target);
  if (keep_unscaled_test) result.unscaled_test_features = result.test.features;
  if (dataset.standardize != Standardize::none) {
    result.standardizer =
        dataset.standardize == Standardize::all_rows
            ? fit_standardizer({&result.train.features, &result.validation.features, &result.test.features})
            : fit_standardizer({&result.train.features});
    standardize(result.train.features, result.standardizer);
    standardize(result.validation.features, result.standardizer);
    standardize(result.test.features, result.standardizer);
  }
  return result;
}

}  // namespace

PreparedData prepare_data(const LoadedDataset& loaded, const DatasetConfig& dataset, std::uint64_t seed,
                          bool keep_unscaled_test) {
  return split_and_scale(loaded, dataset, seed, keep_unscaled_test);
}

PreparedData prepare_data(LoadedDataset&& loaded, const DatasetConfig& dataset, std::uint64_t seed,
                          bool keep_unscaled_test) {
  return split_and_scale(std::move(loaded), dataset, seed, keep_unscaled_test);
}

PreparedData prepare_data(const DatasetConfig& dataset, std::uint64_t seed, const PrepareOptions& options) {
  return prepare_data(load_dataset(dataset, options.compute), dataset, seed, options.keep_unscaled_test);
}

std::vector<DataFile> identify_data_files(const DatasetConfig& dataset) {
  std::vector<DataFile> files;
  for (const std::string& path : dataset.has_separate_test_file() ? std::vector{dataset.train_path, dataset.test_path}
                                                                   : std::vector{dataset.path}) {
    const csv::Diagnostics diagnostics(path);
    const auto contents = csv::FileContents::load(path, diagnostics, dataset.allow_special_file);
    const auto identity = identify_content(contents.text());
    contents.check_unchanged(diagnostics);
    files.push_back({path, identity});
  }
  return files;
}

}  // namespace bnrun::data
