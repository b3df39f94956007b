// The policy that sends parallel loops to one thread while a thread cannot get a core in time.
#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <chrono>
#include <vector>

#include "kernels/parallel.h"
#include "kernels/team_health.h"
#include "kernels/thread_team.h"

using bnrun::kernels::TeamHealth;

namespace {

using namespace std::chrono_literals;

// Drives `health` through `seconds` of loops of 1 ms each, doing team_rate (or alone_rate) multiply-adds per
// second in whichever mode it asks for; returns the share of the loops that went to the team.
struct Simulation {
  TeamHealth health;
  TeamHealth::Clock::time_point now = TeamHealth::Clock::now();
  double run(double seconds, double team_rate, double alone_rate) {
    int loops = 0, on_team = 0;
    for (; loops < static_cast<int>(seconds * 1000); ++loops) {
      const bool team = health.use_team();
      on_team += team;
      now += 1ms;
      health.record((team ? team_rate : alone_rate) * 0.001, now);
    }
    return static_cast<double>(on_team) / loops;
  }
};

}  // namespace

TEST_CASE("the team is kept where it does more work per second, one thread being tried now and then") {
  Simulation simulation;
  CHECK(simulation.run(10.0, 2e9, 1e9) > 0.9);
}

TEST_CASE("one thread is chosen where the team does less work per second, and on a tie") {
  Simulation slower;
  CHECK(slower.run(10.0, 0.7e9, 1e9) < 0.1);
  Simulation tie;
  CHECK(tie.run(10.0, 1.02e9, 1e9) < 0.1);
}

TEST_CASE("the team is given the loops back within a second once it is faster again") {
  Simulation simulation;
  CHECK(simulation.run(20.0, 0.5e9, 1e9) < 0.1);  // beside a CPU-bound process
  simulation.run(2.0, 2e9, 1e9);                   // the process has ended
  CHECK(simulation.run(1.0, 2e9, 1e9) > 0.8);
}

TEST_CASE("a trial counts only its second window: the first one pays for moving the data") {
  // One thread is slow in the first window after the team ran (it fetches the other core's data) and faster than
  // the team afterwards: judged by its first window it would lose; judged by its second it wins.
  Simulation simulation;
  int consecutive_alone = 0;
  int alone_in_the_second_half = 0;
  for (int loop = 0; loop < 20000; ++loop) {
    const bool team = simulation.health.use_team();
    consecutive_alone = team ? 0 : consecutive_alone + 1;
    if (!team && loop >= 10000) ++alone_in_the_second_half;
    simulation.now += std::chrono::milliseconds(1);
    const double rate = team ? 1e9 : (consecutive_alone <= 10 ? 0.5e9 : 1.5e9);
    simulation.health.record(rate * 0.001, simulation.now);
  }
  CHECK(alone_in_the_second_half > 9000);
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
