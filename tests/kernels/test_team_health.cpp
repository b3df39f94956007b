// The policy that sends parallel loops to one thread while a thread cannot get a core in time.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <vector>

#include "kernels/parallel.h"
#include "kernels/team_health.h"
#include "kernels/thread_team.h"

using bnrun::kernels::TeamHealth;
using namespace std::chrono_literals;

namespace {

// `loops` loops that each ran twice as fast as one thread would have: the team pays off.
void record_healthy(TeamHealth& health, int loops, TeamHealth::Clock::time_point now) {
  for (int i = 0; i < loops; ++i) health.record(0.001, 0.002, now);
}

// A loop that waited 5 ms for a thread after the caller had done all of it.
void record_stall(TeamHealth& health, TeamHealth::Clock::time_point now) { health.record(0.006, 0.001, now); }

}  // namespace

TEST_CASE("a team whose loops run twice as fast as one thread stays awake") {
  TeamHealth health;
  const auto now = TeamHealth::Clock::now();
  record_healthy(health, 10 * TeamHealth::window_length, now);
  CHECK(health.worth_waking(now));
}

TEST_CASE("one loop that stalled waiting for a thread sends the loops to one thread for the shortest pause") {
  TeamHealth health;
  const auto now = TeamHealth::Clock::now();
  record_stall(health, now);
  CHECK_FALSE(health.worth_waking(now));
  CHECK_FALSE(health.worth_waking(now + TeamHealth::shortest_pause - 1ms));
  CHECK(health.worth_waking(now + TeamHealth::shortest_pause));
}

TEST_CASE("a window no faster than one thread pauses the team though no loop stalled") {
  TeamHealth health;
  const auto now = TeamHealth::Clock::now();
  for (int i = 0; i < TeamHealth::window_length - 1; ++i) health.record(0.001, 0.00105, now);
  CHECK(health.worth_waking(now));  // the window is not complete yet
  health.record(0.001, 0.00105, now);
  CHECK_FALSE(health.worth_waking(now));
}

TEST_CASE("the pause doubles while the tries keep failing, up to the longest, and a healthy window resets it") {
  TeamHealth health;
  auto now = TeamHealth::Clock::now();
  auto pause = std::chrono::duration_cast<TeamHealth::Clock::duration>(TeamHealth::shortest_pause);
  for (int attempt = 0; attempt < 10; ++attempt) {
    record_stall(health, now);
    CHECK_FALSE(health.worth_waking(now + pause - 1ms));
    now += pause;
    REQUIRE(health.worth_waking(now));
    pause = std::min<TeamHealth::Clock::duration>(pause * 2, TeamHealth::longest_pause);
  }
  CHECK(pause == TeamHealth::longest_pause);
  record_healthy(health, TeamHealth::window_length, now);
  record_stall(health, now);
  CHECK(health.worth_waking(now + TeamHealth::shortest_pause));
}

TEST_CASE("inside a team, a loop with adapt_to_load off is cut into blocks_per_thread blocks for each thread") {
  bnrun::kernels::Compute compute{.threads = 2, .minimum_parallel_work = 1, .adapt_to_load = false};
  std::atomic<std::size_t> blocks{0}, items{0};
  bnrun::kernels::with_thread_team(compute, [&](const bnrun::kernels::Compute& team_compute) {
    bnrun::kernels::parallel_for_blocks(team_compute, 64, 1, [&](std::size_t begin, std::size_t end) {
      ++blocks;
      items += end - begin;
    });
  });
  CHECK(blocks == 2 * bnrun::kernels::ThreadTeam::blocks_per_thread);
  CHECK(items == 64);
}

TEST_CASE("a team runs every block of thousands of loops exactly once and passes on the work's exception") {
  bnrun::kernels::Compute compute{.threads = 2, .minimum_parallel_work = 1, .adapt_to_load = false};
  std::vector<int> counts(1000);
  bnrun::kernels::with_thread_team(compute, [&](const bnrun::kernels::Compute& team_compute) {
    REQUIRE(team_compute.team != nullptr);
    for (int loop = 0; loop < 5000; ++loop)
      bnrun::kernels::parallel_for_blocks(team_compute, counts.size(), 1, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) ++counts[i];
      });
  });
  for (const int count : counts) REQUIRE(count == 5000);
  CHECK_THROWS_WITH(bnrun::kernels::with_thread_team(compute, [](const bnrun::kernels::Compute&) {
                      throw std::runtime_error("from the work");
                    }),
                    "from the work");
}
