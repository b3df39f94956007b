#include "core/resources.h"

#include <sys/resource.h>
#include <unistd.h>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>

namespace bnrun {

std::size_t peak_resident_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

namespace {

std::size_t machine_available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::size_t kilobytes = 0;
  std::string unit;
  while (meminfo >> key >> kilobytes >> unit)
    if (key == "MemAvailable:") return kilobytes * 1024;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_size) : 0;
}

// What ulimit -v leaves: the limit minus the address space already mapped (/proc/self/statm's first field).
std::optional<std::size_t> address_space_left() {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  if (!(statm >> pages)) return std::nullopt;
  const std::size_t mapped = pages * static_cast<std::size_t>(::sysconf(_SC_PAGE_SIZE));
  return limit.rlim_cur > mapped ? limit.rlim_cur - mapped : 0;
}

std::optional<std::size_t> read_number(const std::string& path) {
  std::ifstream file(path);
  std::size_t value = 0;
  if (file >> value) return value;
  return std::nullopt;  // missing, or "max"
}

std::optional<std::size_t> left_under(const std::string& limit_path, const std::string& usage_path) {
  const auto limit = read_number(limit_path);
  const auto usage = read_number(usage_path);
  if (!limit || !usage) return std::nullopt;
  return *limit > *usage ? *limit - *usage : 0;
}

// What a cgroup limit (a container's, a systemd unit's) leaves above the group's usage: v2's memory.max and
// memory.current, or v1's memory.limit_in_bytes and memory.usage_in_bytes, for the group /proc/self/cgroup names
// (or the mount's root, which is what a container sees of its own group).
std::optional<std::size_t> cgroup_memory_left() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroup, line)) {
    if (line.rfind("0::", 0) == 0) {
      const std::string group = "/sys/fs/cgroup" + line.substr(3);
      if (auto left = left_under(group + "/memory.max", group + "/memory.current")) return left;
    } else if (const auto at = line.find(":memory:"); at != std::string::npos) {
      for (const std::string& group : {"/sys/fs/cgroup/memory" + line.substr(at + 8), std::string("/sys/fs/cgroup/memory")})
        if (auto left = left_under(group + "/memory.limit_in_bytes", group + "/memory.usage_in_bytes")) return left;
    }
  }
  return std::nullopt;
}

}  // namespace

std::size_t available_memory_bytes() {
  std::size_t available = machine_available_bytes();
  if (const auto left = address_space_left()) available = std::min(available, *left);
  if (const auto left = cgroup_memory_left()) available = std::min(available, *left);
  return available;
}

std::string format_bytes(double bytes) {
  if (bytes >= 1e12) return fmt::format("{:.1f} TB", bytes / 1e12);
  if (bytes >= 1e9) return fmt::format("{:.1f} GB", bytes / 1e9);
  if (bytes >= 1e6) return fmt::format("{:.0f} MB", bytes / 1e6);
  return fmt::format("{:.0f} kB", bytes / 1e3);
}

}  // namespace bnrun
