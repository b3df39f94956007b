// The processes that train one model together, each on a slice of every batch (data parallelism), as a layer
// sees them. lib/distributed implements it over MPI; nn only needs to exchange numbers, never to know how.
//
// Determinism contract: every operation gives every process the same bits, and the same bits run to run for a
// fixed number of processes. all_gather hands each process every process's numbers, so a reduction is a plain
// loop over ranks in rank order (sum_in_rank_order below), never the library's reduction, whose order is its own.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace bnrun::nn {

class Replicas {
 public:
  virtual ~Replicas() = default;
  virtual int rank() const = 0;  // 0 … size() − 1
  virtual int size() const = 0;  // >= 1
  // all[r·local.size() + i] = process r's local[i], on every process. Every process passes the same local.size().
  virtual void all_gather(std::span<const double> local, std::span<double> all) const = 0;
  virtual void all_gather(std::span<const float> local, std::span<float> all) const = 0;
};

// values[i] = Σ over processes of their values[i], added in double in rank order and rounded once.
void sum_in_rank_order(const Replicas& replicas, std::span<double> values);
void sum_in_rank_order(const Replicas& replicas, std::span<float> values);

// sums[i] = Σ over processes r of gathered[r·sums.size() + i] (what all_gather hands every process), added in double
// in rank order and rounded once: the same bits on every process. In blocks, so that the loops run along contiguous
// memory and vectorize, each element's additions still in rank order.
void add_in_rank_order(std::span<const double> gathered, std::span<double> sums);
void add_in_rank_order(std::span<const float> gathered, std::span<float> sums);

// True when `replicas` is set and has more than one process: only then does training differ from one process's.
inline bool spans_processes(const Replicas* replicas) {
  return replicas && replicas->size() > 1;
}

}  // namespace bnrun::nn
