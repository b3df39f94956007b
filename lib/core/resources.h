// What the process has used so far (for results.json) and what the machine has left (to refuse a run that
// cannot fit before it allocates).
#pragma once

#include <cstddef>
#include <string>

namespace bnrun {

// The largest resident set size of this process so far, in bytes (getrusage's ru_maxrss).
std::size_t peak_resident_bytes();

// Memory a new allocation can get without swapping or being refused: the least of MemAvailable from
// /proc/meminfo (or the physical memory when that cannot be read), what the address-space limit (ulimit -v) leaves
// above the process's present size, and what the cgroup's memory.max leaves above its memory.current.
std::size_t available_memory_bytes();

// "1.5 GB", "320 MB", "12 kB": for messages about memory.
std::string format_bytes(double bytes);

}  // namespace bnrun
