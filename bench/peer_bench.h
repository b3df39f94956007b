// `bnrun_bench --peers`: bnrun against PyTorch, dlib and mlpack, each in its fastest configuration on this machine,
// on the identical workload (docs/BENCHMARKS.md, "Peers").
//
// The workload is configs/fashion_mnist_bn.json's network and recipe on the real Fashion-MNIST CSVs (all 60,000
// training rows, no validation split; test accuracy on the 10,000 test rows), with and without its BatchNorm
// layers, at the same thread count for every program. Every run is a separate process and times only its epochs:
// bnrun is run as a user runs it (the bnrun binary, its results.json's per-epoch seconds); the peers are
// bench/peers/ (torch_mlp.py, dlib_mlp, mlpack_mlp), which report the same interval.
//
// First a short screening pass runs every configuration of each peer once (OpenBLAS build, BLAS and framework
// thread counts, TorchScript, dlib's trainer or a plain loop) and keeps the fastest few; then `rounds` interleaved
// rounds run every kept configuration and bnrun once per arm, in an order that rotates between rounds, so a noisy
// minute on a shared machine hits every program alike. A peer that is not installed or not built is reported as
// skipped, with the reason, and the rest still runs.
#pragma once

#include <cstddef>
#include <string>

namespace bnrun::bench {

struct PeerOptions {
  int rounds = 3;
  int epochs = 2;
  int threads = 2;                          // for every program, however each spends them
  std::string json_path;                    // also write every figure here as JSON, when not empty
  std::string source_dir;                   // the bnrun tree: configs/, bench/peers/torch_mlp.py, data/fashion-mnist/
  std::string binary_dir;                   // where bnrun, dlib_mlp and mlpack_mlp were built
  std::string library_dir;                  // where Debian keeps the openblas-pthread/ and openblas-openmp/ builds
  std::string python = "/usr/bin/python3";  // with python3-torch and python3-pandas
  std::size_t screening_rows = 12'800;      // training rows of a screening run (its epochs as in the rounds)
  int finalists = 2;                        // configurations of each peer that go on from screening to the rounds
};

// Runs the benchmark and prints its tables to stdout (progress to stderr). Returns 0, or 1 when bnrun itself could
// not be measured or the JSON could not be written, or 2 when the data files are missing.
int run_peer_benchmark(const PeerOptions& options);

}  // namespace bnrun::bench
