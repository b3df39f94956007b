#include "data/csv/columns.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "data/csv/delimiter.h"

namespace bnrun::data::csv {
namespace {

bool are_the_other_columns_in_order(const ColumnLayout& layout) {
  for (std::size_t i = 0; i < layout.role.size(); ++i) {
    if (i == layout.target_index) continue;
    const auto feature_index = static_cast<std::int32_t>(i < layout.target_index ? i : i - 1);
    if (layout.role[i] != feature_index) return false;
  }
  return true;
}

std::size_t find_column(const std::vector<std::string>& header, const std::string& name) {
  return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
}

}  // namespace

std::vector<std::string> read_header(Tokenizer& tokenizer, std::vector<Field>& fields, const Diagnostics& diagnostics) {
  if (!tokenizer.next_record(fields)) diagnostics.fail_file("the file is empty (expected a header line)");
  std::vector<std::string> names;
  names.reserve(fields.size());
  std::unordered_map<std::string_view, std::size_t> first_position;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    names.push_back(field_text(fields[i]));
    if (names.back().empty()) diagnostics.fail_at(fields[i].line, i, "empty column name in the header");
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto [existing, inserted] = first_position.emplace(names[i], i);
    if (!inserted) {
      diagnostics.fail_at(fields[i].line, i,
                          "duplicate column name " + name_in_quotes(names[i]) + " (columns " +
                              std::to_string(existing->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }
  return names;
}

ColumnLayout resolve_columns(std::vector<std::string> header, const CsvOptions& options, char delimiter,
                             const Diagnostics& diagnostics) {
  ColumnLayout layout;
  layout.header = std::move(header);
  const auto& names = layout.header;
  layout.role.assign(names.size(), kUnusedColumn);

  // No target column asked for (predicting unlabelled rows): the short-integer fast path, which expects a
  // target cell, is then not used.
  const bool has_target = !options.target_column.empty();
  layout.target_index = has_target ? find_column(names, options.target_column) : names.size();
  if (has_target && layout.target_index == names.size()) {
    // Split on another delimiter, the header has the target: the file uses that one.
    if (const auto other = header_split_by_another_delimiter(names, delimiter, options.target_column))
      diagnostics.fail_file("target column " + name_in_quotes(options.target_column) + " is not in the header split on " +
                            delimiter_name(delimiter) + " (" + std::to_string(names.size()) + " column" +
                            (names.size() == 1 ? "" : "s") + "), but split on " + delimiter_name(other->delimiter) +
                            " it is one of " + std::to_string(other->names.size()) +
                            " columns: the file's delimiter is " + delimiter_name(other->delimiter) +
                            " (set it with dataset.delimiter, or --delimiter for predict and eval; \"auto\", the "
                            "default, finds it)");
    diagnostics.fail_file("target column " + name_in_quotes(options.target_column) +
                          " is not in the header; the columns are: " + list_columns(names));
  }
  if (has_target) layout.role[layout.target_index] = kTargetColumn;

  auto add_feature = [&](std::size_t column_index) {
    layout.role[column_index] = static_cast<std::int32_t>(layout.feature_names.size());
    layout.feature_names.push_back(names[column_index]);
  };
  if (options.feature_columns.empty()) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i != layout.target_index) add_feature(i);
    }
    if (layout.feature_names.empty()) {
      diagnostics.fail_file("no feature columns: the header has only the target column " +
                            name_in_quotes(options.target_column));
    }
    layout.features_are_the_other_columns = has_target;
    return layout;
  }
  for (const std::string& name : options.feature_columns) {
    const std::size_t column_index = find_column(names, name);
    if (column_index == names.size()) {
      diagnostics.fail_file("feature column " + name_in_quotes(name) +
                            " is not in the header; the columns are: " + list_columns(names));
    }
    if (column_index == layout.target_index) {
      diagnostics.fail_file("column " + name_in_quotes(name) + " is both the target and a feature column");
    }
    if (layout.role[column_index] != kUnusedColumn) {
      diagnostics.fail_file("feature column " + name_in_quotes(name) + " is listed twice");
    }
    add_feature(column_index);
  }
  layout.features_are_the_other_columns = has_target && are_the_other_columns_in_order(layout);
  return layout;
}

}  // namespace bnrun::data::csv
