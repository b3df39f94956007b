// What the process has used so far, for results.json.
#pragma once

#include <cstddef>

namespace bnrun {

// The largest resident set size of this process so far, in bytes (getrusage's ru_maxrss).
std::size_t peak_resident_bytes();

}  // namespace bnrun
