// The CSV load benchmark (issue 13, target 7: any numeric CSV at 1 GB/s or more on 2 cores without AVX-512, 10
// times pandas or more, in memory within 1.3 times the float32 data).
//
//   build/release/bnrun_bench --csv-tables
//
// Three tables: 5,000,000 rows of 9 four-decimal floats and a label, 1,000,000 rows of 16 full-precision doubles
// ("%.17g") and a label, both generated here from fixed seeds, and Fashion-MNIST's train.csv when it is there.
// Each is read by bnrun at every instruction-set level this CPU has (core/cpu.h; capped by BNRUN_CPU_LEVEL) and
// by pandas, in interleaved rounds in one run, so that the machine's load hits all of them alike. The doubles are
// also read by pandas with float_precision="round_trip", for comparison: its default parser is fast but not
// correctly rounded (it gave another double than the exact one for 47% of these cells). Every read
// runs in a process of its own, started for it: its time, CPU time and peak RSS (the process's VmHWM, which
// counts everything it held, the program itself included) are its own, with no page of an earlier read still
// resident.
#pragma once

#include <string>

namespace bnrun::bench {

struct CsvBenchOptions {
  int rounds = 3;
  int threads = 2;
  std::string fashion_csv;  // read too when the file exists
  std::string python;       // a Python with pandas; pandas is left out when it cannot be run
};

// Runs the benchmark: the table of results on stdout, progress on stderr. In a process the benchmark started to
// read one table (it finds the table's path in its environment) it reads that table and reports to its parent
// instead.
void csv_tables(const CsvBenchOptions& options);

}  // namespace bnrun::bench
