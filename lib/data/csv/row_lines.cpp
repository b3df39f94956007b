// RowLines (data/csv.h): where each row starts, as runs of rows on consecutive lines.
#include <algorithm>

#include "data/csv.h"

namespace bnrun::data {

std::size_t RowLines::line_of(std::size_t row) const {
  const auto after = std::upper_bound(runs_.begin(), runs_.end(), row,
                                      [](std::size_t r, const Run& run) { return r < run.first_row; });
  const Run& run = *(after - 1);
  return run.first_line + (row - run.first_row);
}

void RowLines::append(const RowLines& other) {
  for (const Run& run : other.runs_) add(run.first_row, run.first_line);
}

void RowLines::truncate(std::size_t rows) {
  runs_.erase(std::find_if(runs_.begin(), runs_.end(), [&](const Run& run) { return run.first_row >= rows; }),
              runs_.end());
}

}  // namespace bnrun::data
