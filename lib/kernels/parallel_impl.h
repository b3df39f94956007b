// The templates of parallel.h: they only erase the type of the body, so that the threading itself (OpenMP, the
// team) lives in parallel.cpp and thread_team.cpp and no other module compiles a pragma.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace bnrun::kernels {

namespace detail {

// A loop body as a plain function pointer and its context, so that the loop can be run by non-template code.
struct BlockBody {
  void (*call)(const void* context, std::size_t begin, std::size_t end);
  const void* context;
  void operator()(std::size_t begin, std::size_t end) const { call(context, begin, end); }
};

// Runs body over [0, n) on the threads of compute, in blocks of at least compute.minimum_parallel_work (there is
// room for `worthwhile_blocks` of them, >= 2): parallel.cpp.
// `work` is the whole loop's cost in multiply-adds.
void run_blocks(const Compute& compute, std::size_t n, std::size_t worthwhile_blocks, double work, BlockBody body);

// The team around work: parallel.cpp.
struct TeamWork {
  void (*call)(void* context, const Compute& team_compute);
  void* context;
};
void run_with_team(const Compute& compute, TeamWork work);

}  // namespace detail

template <class Body>
void parallel_for_blocks(const Compute& compute, std::size_t n, std::size_t work_per_item, Body&& body) {
  if (n == 0) return;
  const double total_work = static_cast<double>(n) * static_cast<double>(std::max<std::size_t>(work_per_item, 1));
  const auto worthwhile_blocks = static_cast<std::size_t>(
      total_work / static_cast<double>(std::max<std::size_t>(compute.minimum_parallel_work, 1)));
  const auto threads = static_cast<std::size_t>(std::max(compute.threads, 1));
  if (std::min({threads, worthwhile_blocks, n}) <= 1) {
    body(std::size_t{0}, n);
    return;
  }
  using BodyType = std::remove_reference_t<Body>;
  detail::run_blocks(compute, n, worthwhile_blocks, total_work,
                     {[](const void* context, std::size_t begin, std::size_t end) {
                        (*static_cast<BodyType*>(const_cast<void*>(context)))(begin, end);
                      },
                      &body});
}

template <class Work>
void with_thread_team(const Compute& compute, Work&& work) {
  if (compute.team || compute.threads <= 1) {
    work(compute);
    return;
  }
  using WorkType = std::remove_reference_t<Work>;
  detail::run_with_team(compute, {[](void* context, const Compute& team_compute) {
                                    (*static_cast<WorkType*>(context))(team_compute);
                                  },
                                  const_cast<void*>(static_cast<const void*>(&work))});
}

}  // namespace bnrun::kernels
