// The header and which columns the table takes: each header column's role (a feature's index in the row, the
// target, or unused), checked against CsvOptions with the precise error for every mismatch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/csv.h"
#include "data/csv/messages.h"
#include "data/csv/tokenizer.h"

namespace bnrun::data::csv {

inline constexpr std::int32_t kTargetColumn = -1;
inline constexpr std::int32_t kUnusedColumn = -2;

struct ColumnLayout {
  std::vector<std::string> header;
  std::vector<std::int32_t> role;  // per header column: index into the feature row, kTargetColumn or kUnusedColumn
  std::vector<std::string> feature_names;
  // Without a target column it points past the header, so no column takes the target role and every target is
  // empty.
  std::size_t target_index = 0;
  bool features_are_the_other_columns = false;  // every column but the target is a feature, in file order
};

// Reads the header record: names unescaped, none empty, none twice.
std::vector<std::string> read_header(Tokenizer& tokenizer, std::vector<Field>& fields, const Diagnostics& diagnostics);

// `delimiter`: the one the header was split on (for the hint when the target is missing because it was the wrong one).
ColumnLayout resolve_columns(std::vector<std::string> header, const CsvOptions& options, char delimiter,
                             const Diagnostics& diagnostics);

}  // namespace bnrun::data::csv
