// The MPI test binary: doctest under `mpirun -np 2` (tests/mpi/run.sh). Every rank runs every
// case; rank 0 reports, the others only through their exit status (mpirun fails the job when
// one does), so `./run.sh test` reads one summary.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "distributed/communicator.h"

int main(int argc, char** argv) {
  const trit::distributed::Communicator& world = trit::distributed::Communicator::world();
  doctest::Context context(argc, argv);
  context.setOption("no-colors", true);  // mpirun gives ranks a terminal; run.sh reads plain lines
  if (!world.is_root()) context.setOption("out", "/dev/null");
  const int failed = context.run();
  if (world.is_root())
    std::fprintf(stderr, "MPI tests over %d ranks (built with MPI: %s)\n", world.size(),
                 trit::distributed::Communicator::built_with_mpi() ? "yes" : "no");
  return failed;
}
