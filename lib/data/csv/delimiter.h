// Which byte separates the cells of a CSV file whose config does not say (dataset.delimiter "auto", the default):
// found from the header and the first rows, as a person would, by the candidates , ; tab | (in that order of
// preference). Also the hint for a header read with the wrong delimiter.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bnrun::data::csv {

inline constexpr std::string_view delimiter_candidates = ",;\t|";

// The candidate that splits the header and every sampled row (up to the first 20 records, quotes respected) into the
// same number of cells, more than one; of several, the one giving the most cells, then the first in
// delimiter_candidates. Nothing when none does (a one-column file, ragged rows). `text` starts at the header (no BOM).
std::optional<char> detect_delimiter(std::string_view text);

// For a header that lacks the target column when split on `used`: another candidate on which some header cell
// splits into names one of which is `target`, with the header's cells split on it; nothing if there is none.
struct OtherSplit {
  char delimiter = ',';
  std::vector<std::string> names;
};
std::optional<OtherSplit> header_split_by_another_delimiter(const std::vector<std::string>& header, char used,
                                                            const std::string& target);

// How a delimiter is named in messages and configs: "','", "';'", "tab", "'|'".
std::string delimiter_name(char delimiter);

}  // namespace bnrun::data::csv
