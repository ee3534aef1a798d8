#include "distributed/communicator.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "autograd/error.h"

#if TRIT_WITH_MPI
#include <mpi.h>
#endif

namespace trit::distributed {
namespace {

#if TRIT_WITH_MPI
bool started_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

// MPI's counts are int: larger buffers go in pieces.
constexpr size_t kMaxCount = static_cast<size_t>(std::numeric_limits<int>::max());

void check_mpi(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw Error(std::string("MPI: ") + call + " failed: " + std::string(text, length));
}

MPI_Datatype mpi_type(const float*) { return MPI_FLOAT; }
MPI_Datatype mpi_type(const double*) { return MPI_DOUBLE; }
MPI_Datatype mpi_type(const int64_t*) { return MPI_INT64_T; }

// Element-wise sum over every rank, in place.
template <typename T>
void allreduce(T* values, size_t count) {
  for (size_t done = 0; done < count; done += kMaxCount) {
    const int piece = static_cast<int>(std::min(kMaxCount, count - done));
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values + done, piece, mpi_type(values), MPI_SUM,
                            MPI_COMM_WORLD),
              "MPI_Allreduce");
  }
}

// Initialises MPI on construction and finalises it at exit.
struct MpiSession {
  int rank = 0, size = 1;
  MpiSession() {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes, which trit turns into an Error naming the call.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
};
#endif

}  // namespace

struct PendingSum::Request {
#if TRIT_WITH_MPI
  MPI_Request request = MPI_REQUEST_NULL;
#endif
};

PendingSum::PendingSum() = default;
PendingSum::PendingSum(PendingSum&&) noexcept = default;
PendingSum& PendingSum::operator=(PendingSum&& other) noexcept {
  if (this != &other) {
    wait();
    request_ = std::move(other.request_);
  }
  return *this;
}
PendingSum::~PendingSum() {
  try {
    wait();
  } catch (...) {  // a destructor does not throw; the job is failing anyway
  }
}

void PendingSum::wait() {
#if TRIT_WITH_MPI
  if (request_ && request_->request != MPI_REQUEST_NULL)
    check_mpi(MPI_Wait(&request_->request, MPI_STATUS_IGNORE), "MPI_Wait");
#endif
  request_.reset();
}

bool PendingSum::poll() {
#if TRIT_WITH_MPI
  if (!request_ || request_->request == MPI_REQUEST_NULL) return true;
  int done = 0;
  check_mpi(MPI_Test(&request_->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
  return done != 0;
#else
  return true;
#endif
}

Communicator& Communicator::world() {
#if TRIT_WITH_MPI
  if (started_by_mpirun()) {
    static MpiSession session;
    static Communicator world(session.rank, session.size, true);
    return world;
  }
#endif
  return single();
}

Communicator& Communicator::single() {
  static Communicator one(0, 1, false);
  return one;
}

bool Communicator::built_with_mpi() { return TRIT_WITH_MPI != 0; }

std::string Communicator::where() const {
  return "rank " + std::to_string(rank_) + " of " + std::to_string(size_);
}

namespace {
// Communicator::sum for each element type: a no-op in one process.
template <typename T>
void sum_over_ranks(bool uses_mpi, T* values, size_t count) {
#if TRIT_WITH_MPI
  if (uses_mpi) allreduce(values, count);
#else
  (void)uses_mpi, (void)values, (void)count;
#endif
}
}  // namespace

void Communicator::sum(float* values, size_t count) const {
  sum_over_ranks(uses_mpi_, values, count);
}
void Communicator::sum(double* values, size_t count) const {
  sum_over_ranks(uses_mpi_, values, count);
}
void Communicator::sum(int64_t* values, size_t count) const {
  sum_over_ranks(uses_mpi_, values, count);
}

PendingSum Communicator::start_sum(float* values, size_t count) const {
  PendingSum pending;
#if TRIT_WITH_MPI
  if (!uses_mpi_) return pending;
  check(count <= kMaxCount, "Communicator", "a non-blocking sum of more than 2^31 floats");
  pending.request_ = std::make_unique<PendingSum::Request>();
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, values, static_cast<int>(count), MPI_FLOAT, MPI_SUM,
                           MPI_COMM_WORLD, &pending.request_->request),
            "MPI_Iallreduce");
#else
  (void)values, (void)count;
#endif
  return pending;
}

void Communicator::broadcast(float* values, size_t count, int root) const {
#if TRIT_WITH_MPI
  if (!uses_mpi_) return;
  for (size_t done = 0; done < count; done += kMaxCount) {
    const int piece = static_cast<int>(std::min(kMaxCount, count - done));
    check_mpi(MPI_Bcast(values + done, piece, MPI_FLOAT, root, MPI_COMM_WORLD), "MPI_Bcast");
  }
#else
  (void)values, (void)count, (void)root;
#endif
}

void Communicator::barrier() const {
#if TRIT_WITH_MPI
  if (uses_mpi_) check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
#endif
}

void Communicator::abort(int status) const {
#if TRIT_WITH_MPI
  if (uses_mpi_) MPI_Abort(MPI_COMM_WORLD, status);
#endif
  std::exit(status);
}

}  // namespace trit::distributed
