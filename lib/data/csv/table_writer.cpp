#include "data/csv/table_writer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace bnrun::data::csv {

void add_written_rows(RowWriter& rows, TargetCodes& target_codes, CsvTable& table) {
  target_codes.adopt(rows.first_row(), rows.rows_written(), rows.targets().values());
  table.lines.append(rows.lines());
}

void set_row_count(CsvTable& table, std::size_t width, std::size_t rows) {
  table.features.resize(rows * width);
  table.target_codes.resize(rows);
  table.lines.truncate(rows);
  table.rows = rows;
}

void reserve_rows(CsvTable& table, const ColumnLayout& layout, std::size_t first_row_bytes,
                  std::size_t remaining_bytes) {
  const std::size_t columns = layout.header.size();
  const std::size_t width = layout.feature_names.size();
  const std::size_t most_rows = remaining_bytes / (columns + width) + 2;
  const std::size_t estimate = remaining_bytes / std::max<std::size_t>(first_row_bytes, 1);
  const std::size_t rows = table.rows + std::min(most_rows, estimate + estimate / 16 + 2);
  table.features.reserve(rows * width);
  table.target_codes.reserve(rows);
  const std::size_t used = table.features.size();
  prefault_for_writing(table.features.data() + used, (table.features.capacity() - used) * sizeof(float));
}

void prefault_for_writing(const void* data, std::size_t bytes) {
#if defined(MADV_POPULATE_WRITE)
  constexpr std::size_t kWorthwhileBytes = std::size_t{16} << 20;
  if (bytes < kWorthwhileBytes) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto address = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first_page = (address + page - 1) & ~(page - 1);
  const std::uintptr_t end_page = (address + bytes) & ~(page - 1);
  if (end_page > first_page) {
    ::madvise(reinterpret_cast<void*>(first_page), end_page - first_page, MADV_POPULATE_WRITE);
  }
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace bnrun::data::csv
