#include "data/csv/fast_rows.h"

namespace bnrun::data::csv {

FastRowReader fast_row_reader(cpu::Level level) {
#if defined(__x86_64__)
  switch (level) {
    case cpu::Level::baseline:
      break;
    case cpu::Level::avx2:
      return read_rows_avx2;
    case cpu::Level::avx512:
      return read_rows_avx512;
  }
#else
  (void)level;
#endif
  return read_rows_baseline;
}

}  // namespace bnrun::data::csv
