#include "distributed/communicator.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <cstdlib>
#include <string>

#if BNRUN_HAVE_MPI
#include <mpi.h>
#endif

namespace bnrun::distributed {

namespace {

Communicator the_world;
int real_stderr = STDERR_FILENO;

// The first of these variables that is set: OpenMPI's mpirun, then PMIx (srun --mpi=pmix), then MPICH's PMI.
int environment_integer(std::initializer_list<const char*> names, int fallback) {
  for (const char* name : names)
    if (const char* value = std::getenv(name); value && *value) return std::atoi(value);
  return fallback;
}

#if BNRUN_HAVE_MPI
// MPI_Finalize when the process exits normally (after main returns), on the thread that started MPI.
struct MpiSession {
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
};
#endif

void silence_this_process() {
  real_stderr = ::dup(STDERR_FILENO);
  const int null = ::open("/dev/null", O_WRONLY);
  if (null < 0) return;
  ::dup2(null, STDOUT_FILENO);
  ::dup2(null, STDERR_FILENO);
  ::close(null);
}

}  // namespace

bool available() {
  return BNRUN_HAVE_MPI != 0;
}

int launched_rank() {
  return environment_integer({"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}, 0);
}

int launched_size() {
  return environment_integer({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}, 1);
}

void start_process() {
  if (launched_rank() > 0) silence_this_process();
#if BNRUN_HAVE_MPI
  if (launched_size() > 1 || std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK")) {
    // Serialized: the training thread makes every call, but which thread trains is the runner's business.
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    static MpiSession session;
    // A failed exchange ends the job with MPI's own message instead of returning an error code nobody checks.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(MPI_COMM_WORLD, &the_world.rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &the_world.size_);
    the_world.uses_mpi_ = true;
  }
#endif
  if (the_world.size_ > 1)
    spdlog::default_logger()->set_pattern(
        fmt::format("[rank {}/{}] %^%l%$: %v", the_world.rank_, the_world.size_));
}

const Communicator& world() {
  return the_world;
}

void Communicator::all_gather(std::span<const double> local, std::span<double> all) const {
#if BNRUN_HAVE_MPI
  if (uses_mpi_) {
    MPI_Allgather(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, all.data(), static_cast<int>(local.size()),
                  MPI_DOUBLE, MPI_COMM_WORLD);
    return;
  }
#endif
  std::copy(local.begin(), local.end(), all.begin());
}

void Communicator::all_gather(std::span<const float> local, std::span<float> all) const {
#if BNRUN_HAVE_MPI
  if (uses_mpi_) {
    MPI_Allgather(local.data(), static_cast<int>(local.size()), MPI_FLOAT, all.data(), static_cast<int>(local.size()),
                  MPI_FLOAT, MPI_COMM_WORLD);
    return;
  }
#endif
  std::copy(local.begin(), local.end(), all.begin());
}

void abort_job(std::string_view message, int code) {
  const std::string line = fmt::format("error: rank {} of {}: {}\n", the_world.rank(), the_world.size(), message);
  [[maybe_unused]] const auto written = ::write(real_stderr, line.data(), line.size());
#if BNRUN_HAVE_MPI
  if (the_world.uses_mpi_) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::_Exit(code);
}

}  // namespace bnrun::distributed
