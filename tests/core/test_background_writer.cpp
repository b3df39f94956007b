// Writing files on threads of their own (core/files.h, BackgroundWriter), as a study writes its run folders.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <thread>

#include "core/files.h"

TEST_CASE("background jobs overlap, never more at once than the writer's threads, and finish() waits for all",
          "[core]") {
  constexpr std::size_t threads = 4;
  constexpr std::size_t jobs = 24;
  std::atomic<std::size_t> running{0};
  std::atomic<std::size_t> most_at_once{0};
  std::atomic<std::size_t> done{0};
  std::size_t most_outstanding = 0;  // submitted and not yet done, as the submitter sees it
  {
    bnrun::BackgroundWriter writer(threads);
    for (std::size_t job = 0; job < jobs; ++job) {
      writer.submit([&] {
        const std::size_t now = ++running;
        std::size_t seen = most_at_once.load();
        while (now > seen && !most_at_once.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // an fsync's wait
        --running;
        ++done;
      });
      most_outstanding = std::max(most_outstanding, job + 1 - done.load());
    }
    writer.finish();
    CHECK(done == jobs);
  }
  CHECK(most_at_once <= threads);
  CHECK(most_at_once >= 2);
  // submit() waits for room: a killed process loses at most `threads` handed-over jobs.
  CHECK(most_outstanding <= threads);
}

TEST_CASE("a background writer that is destroyed runs the jobs it was given first", "[core]") {
  std::atomic<int> done{0};
  {
    bnrun::BackgroundWriter writer(2);
    for (int job = 0; job < 6; ++job)
      writer.submit([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++done;
      });
  }
  CHECK(done == 6);
}
