#include "data/csv/general_rows.h"

#include <string>
#include <string_view>

namespace bnrun::data::csv {
namespace {

void check_field_count(const std::vector<Field>& fields, const ColumnLayout& layout, const Diagnostics& diagnostics) {
  const std::size_t expected = layout.header.size();
  if (fields.size() == expected) return;
  const std::string counts =
      "row has " + std::to_string(fields.size()) + " fields but the header has " + std::to_string(expected);
  if (fields.size() > expected) {
    diagnostics.fail_at(fields[expected].line, expected, counts);
  }
  diagnostics.fail_at(fields.back().line, fields.size(),
                      counts + "; the first missing column is " + name_in_quotes(layout.header[fields.size()]));
}

float parse_feature(const Field& field, std::size_t column_index, const Diagnostics& diagnostics,
                    FloatParser parse_number) {
  float value = 0.0f;
  std::string unescaped;
  std::string_view text = field.text;
  if (field.has_doubled_quotes) text = unescaped = unescape_doubled_quotes(field.text);
  const NumberStatus status = parse_number(text, value);
  if (status == NumberStatus::ok) return value;

  const std::string column = diagnostics.column(column_index);
  switch (status) {
    case NumberStatus::empty:
      diagnostics.fail_at(field.line, column_index, column + " is empty (missing values are not supported)");
    case NumberStatus::nan:
      diagnostics.fail_at(field.line, column_index,
                          column + " is NaN: " + quoted(text) + " (missing values are not supported)");
    case NumberStatus::infinite:
      diagnostics.fail_at(field.line, column_index, column + " is infinite: " + quoted(text));
    case NumberStatus::out_of_range:
      diagnostics.fail_at(field.line, column_index, column + " is too large for a 32-bit float: " + quoted(text));
    case NumberStatus::not_a_number:
    case NumberStatus::ok:
      break;
  }
  diagnostics.fail_at(field.line, column_index, column + " is not a number: " + quoted(text));
}

}  // namespace

void append_general_row(const std::vector<Field>& fields, const ColumnLayout& layout, const Diagnostics& diagnostics,
                        FloatParser parse_number, RowWriter& rows) {
  check_field_count(fields, layout, diagnostics);
  float* const row = rows.next_row_features();
  std::string target;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::int32_t role = layout.role[i];
    if (role >= 0) {
      row[role] = parse_feature(fields[i], i, diagnostics, parse_number);
    } else if (role == kTargetColumn) {
      if (fields[i].text.empty()) {
        diagnostics.fail_at(fields[i].line, i, "target " + diagnostics.column(i) + " is empty");
      }
      target = field_text(fields[i]);
    }
  }
  rows.commit(target, fields.front().line);
}

}  // namespace bnrun::data::csv
