#include "results/record.h"

#include <fmt/format.h>
#include <cmath>

#include "core/cpu.h"

namespace bnrun::results {

Environment current_environment(int threads, std::string_view blas) {
  Environment environment;
  environment.threads = threads;
  environment.blas = std::string(blas);
  environment.cpu = cpu::processor_name();
  environment.cpu_level = std::string(cpu::level_name(cpu::active_level()));
#if defined(__clang__)
  environment.compiler = fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  environment.compiler = fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  environment.compiler = "unknown";
#endif
  return environment;
}

std::optional<double> best_validation_accuracy(const train::RunResult& result) {
  std::optional<double> best;
  for (const auto& epoch : result.history)
    if (epoch.validation && (!best || epoch.validation->accuracy > *best)) best = epoch.validation->accuracy;
  return best;
}

std::optional<double> best_validation_loss(const train::RunResult& result) {
  std::optional<double> best;
  for (const auto& epoch : result.history)
    if (epoch.validation && std::isfinite(epoch.validation->loss) && (!best || epoch.validation->loss < *best))
      best = epoch.validation->loss;
  return best;
}

const ArmRecord* RunRecord::arm(std::string_view name) const {
  for (const auto& entry : arms)
    if (entry.arm == name) return &entry;
  return nullptr;
}

}  // namespace bnrun::results
