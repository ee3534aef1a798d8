// Communicator: the processes of one data-parallel job and the collectives trit uses on
// them (MPI's Allreduce, Iallreduce, Bcast and Abort on MPI_COMM_WORLD), or one process alone.
//
// Contract
// - world(): in a build with MPI (meson option `mpi`, docs/distributed.md) and a process that
//   mpirun started (OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK in its environment), the first
//   call initialises MPI (MPI_THREAD_FUNNELED: only the thread that called world() talks to
//   MPI; trit's OpenMP workers never do) and MPI is finalised at exit. Otherwise, a build
//   without MPI included, it is one process: rank 0 of 1, every collective a no-op.
// - Collectives follow MPI's rule: every rank calls the same ones in the same order with the
//   same counts. sum() adds element-wise over ranks, in place; for a given rank count the
//   result does not depend on timing (Open MPI reduces in a fixed order), only on the rank
//   count, through float reassociation.
// - start_sum() begins a non-blocking sum; the buffer must stay untouched until the
//   PendingSum's wait() returns (its destructor waits too).
// - abort(status) ends every rank of the job (MPI_Abort: mpirun kills the others and exits
//   non-zero), or this process alone; it never returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace trit::distributed {

// A sum started by Communicator::start_sum.
class PendingSum {
 public:
  PendingSum();
  PendingSum(PendingSum&&) noexcept;
  PendingSum& operator=(PendingSum&&) noexcept;
  ~PendingSum();  // waits

  void wait();  // returns once the buffer holds the sum over ranks
  bool poll();  // lets MPI progress the sum; true once it is done (then wait() is free)

 private:
  friend class Communicator;
  struct Request;
  std::unique_ptr<Request> request_;
};

class Communicator {
 public:
  static Communicator& world();
  // One process alone, whatever started it (tests, a reference run beside a parallel one).
  static Communicator& single();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  // "rank 1 of 2", for messages
  std::string where() const;

  void sum(float* values, size_t count) const;
  void sum(double* values, size_t count) const;
  void sum(int64_t* values, size_t count) const;
  PendingSum start_sum(float* values, size_t count) const;
  void broadcast(float* values, size_t count, int root = 0) const;
  void barrier() const;
  [[noreturn]] void abort(int status) const;

  // True when trit was built with MPI (it may still run as one process).
  static bool built_with_mpi();

 private:
  Communicator(int rank, int size, bool uses_mpi) : rank_(rank), size_(size), uses_mpi_(uses_mpi) {}
  int rank_, size_;
  [[maybe_unused]] bool uses_mpi_;  // false: one process, collectives are no-ops (always so
                                    // without MPI)
};

}  // namespace trit::distributed
