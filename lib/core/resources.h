// What the process has used so far (for results.json) and what the machine has left (to refuse a run that
// cannot fit before it allocates).
#pragma once

#include <cstddef>

namespace bnrun {

// The largest resident set size of this process so far, in bytes (getrusage's ru_maxrss).
std::size_t peak_resident_bytes();

// Memory a new allocation can get without swapping: MemAvailable from /proc/meminfo, or the physical memory
// when that cannot be read.
std::size_t available_memory_bytes();

}  // namespace bnrun
