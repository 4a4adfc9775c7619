#include "descent/mpi/comm.hpp"

#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "descent/error.hpp"

namespace descent::mpi {

Comm::Comm(MPI_Comm comm, double timeout) : comm_(comm), timeout_(timeout) {
  if (!(timeout > 0) || !std::isfinite(timeout))
    throw OptionError("timeout " + std::to_string(timeout) + " is out of range (0, inf) seconds");
  MPI_Comm_rank(comm, &rank_);
  MPI_Comm_size(comm, &size_);
}

bool Comm::test(MPI_Request* requests, int n) const {
  int done = 0;
  MPI_Testall(n, requests, &done, MPI_STATUSES_IGNORE);
  return done != 0;
}

void Comm::wait(MPI_Request* requests, int n, const std::string& what) const {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration<double>(timeout_);
  // Spin briefly (a collective between live ranks on one machine takes microseconds), then
  // sleep between polls: ranks oversubscribed on few cores must not starve the peer they wait for.
  for (int polls = 0; !test(requests, n); ++polls) {
    if (polls > 64) {
      const timespec nap{0, polls > 4096 ? 1000000 : 50000};  // 50 µs, later 1 ms
      nanosleep(&nap, nullptr);
    }
    if ((polls & 15) == 0 && clock::now() > deadline)
      fail(what + " did not complete within " + std::to_string(int(std::ceil(timeout_))) +
           " s (timeout): a rank died or hangs; aborting the job");
  }
}

void Comm::fail(const std::string& problem) const {
  std::fprintf(stderr, "descent: rank %d of %d: %s\n", rank_, size_, problem.c_str());
  std::fflush(stderr);
  MPI_Abort(comm_, 3);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace descent::mpi
