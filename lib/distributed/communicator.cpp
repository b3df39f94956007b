#include "distributed/communicator.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#if BNRUN_HAVE_MPI
#include <mpi.h>
#endif

namespace bnrun::distributed {

namespace {

Communicator the_world;
int real_stderr = STDERR_FILENO;

// MPI is started with MPI_THREAD_SERIALIZED: calls from several threads of one process (a worker training two runs
// at once asking for runs) must not overlap.
std::mutex mpi_calls;

#if BNRUN_HAVE_MPI
// The messages of handing out runs: a process's request for a run, and rank 0's answer (a run index, or −1: none left).
constexpr int run_request_tag = 101;
constexpr int run_answer_tag = 102;
// How long rank 0's dealer sleeps when no request has arrived: asking costs a worker at most this much per run,
// while a dealer that waited inside MPI would spin and take a core from rank 0's own training.
constexpr auto dealer_poll_interval = std::chrono::milliseconds(2);
#endif

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

std::string library_description() {
#if BNRUN_HAVE_MPI
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);  // one of the few calls allowed before MPI_Init
  std::string description(text, static_cast<std::size_t>(length));
  description = description.substr(0, description.find_first_of(",\n"));
  return description;
#else
  return "none (built without MPI: training.distributed is refused)";
#endif
}

int launched_rank() {
  return environment_integer({"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}, 0);
}

int launched_size() {
  return environment_integer({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}, 1);
}

int launched_local_size() {
  return environment_integer({"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}, 1);
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

std::vector<std::string> Communicator::all_gather_text(const std::string& text) const {
  if (!uses_mpi_) return {text};
  std::vector<std::string> texts(static_cast<std::size_t>(size_));
#if BNRUN_HAVE_MPI
  const std::lock_guard lock(mpi_calls);
  const int length = static_cast<int>(text.size());
  std::vector<int> lengths(static_cast<std::size_t>(size_));
  MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::vector<int> offsets(static_cast<std::size_t>(size_), 0);
  for (std::size_t r = 1; r < offsets.size(); ++r) offsets[r] = offsets[r - 1] + lengths[r - 1];
  std::string all(static_cast<std::size_t>(offsets.back() + lengths.back()), '\0');
  MPI_Allgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, MPI_COMM_WORLD);
  for (std::size_t r = 0; r < texts.size(); ++r)
    texts[r] = all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r]));
#endif
  return texts;
}

void Communicator::deal_runs([[maybe_unused]] const std::function<std::optional<std::size_t>()>& next) const {
#if BNRUN_HAVE_MPI
  if (!uses_mpi_) return;
  int processes_told_none_left = 0;
  while (processes_told_none_left < size_ - 1) {
    int arrived = 0;
    MPI_Status status;
    {
      const std::lock_guard lock(mpi_calls);
      MPI_Iprobe(MPI_ANY_SOURCE, run_request_tag, MPI_COMM_WORLD, &arrived, &status);
      if (arrived) {
        std::int32_t asking = 0;
        MPI_Recv(&asking, 1, MPI_INT32_T, status.MPI_SOURCE, run_request_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        const auto run = next();
        const std::int64_t answer = run ? static_cast<std::int64_t>(*run) : -1;
        MPI_Send(&answer, 1, MPI_INT64_T, status.MPI_SOURCE, run_answer_tag, MPI_COMM_WORLD);
        if (!run) ++processes_told_none_left;
      }
    }
    if (!arrived) std::this_thread::sleep_for(dealer_poll_interval);
  }
#endif
}

std::optional<std::size_t> Communicator::ask_for_run(bool& none_left) const {
  if (!uses_mpi_) return std::nullopt;
  const std::lock_guard lock(mpi_calls);
  if (none_left) return std::nullopt;
#if BNRUN_HAVE_MPI
  const std::int32_t asking = rank_;
  std::int64_t answer = -1;
  MPI_Send(&asking, 1, MPI_INT32_T, 0, run_request_tag, MPI_COMM_WORLD);
  MPI_Recv(&answer, 1, MPI_INT64_T, 0, run_answer_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (answer >= 0) return static_cast<std::size_t>(answer);
#endif
  none_left = true;
  return std::nullopt;
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
