#pragma once
// A communicator with a deadline. Every collective descent::mpi starts is non-blocking and
// waited for here by polling: a rank that died or hangs then ends the job with one line on
// stderr and MPI_Abort within `timeout` seconds, instead of leaving the others blocked forever
// in a collective that cannot complete.
#include <mpi.h>

#include <cstdint>
#include <string>

namespace descent::mpi {

class Comm {
 public:
  // `timeout`: seconds a collective may take before the job is aborted (> 0).
  explicit Comm(MPI_Comm comm = MPI_COMM_WORLD, double timeout = 60);

  MPI_Comm get() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  double timeout() const { return timeout_; }

  // Waits for `n` requests; past the deadline, fails (below) naming `what`.
  void wait(MPI_Request* requests, int n, const std::string& what) const;
  void wait(MPI_Request& request, const std::string& what) const { wait(&request, 1, what); }
  // Drives MPI's progress on pending requests without waiting (non-blocking collectives
  // advance only inside MPI calls); true when all are complete.
  bool test(MPI_Request* requests, int n) const;

  // One line on stderr ("descent: rank 1 of 3: <problem>") and MPI_Abort: the only way to end
  // ranks that are blocked waiting for a peer.
  [[noreturn]] void fail(const std::string& problem) const;

  // Bytes this rank handed to MPI to send, as collectives' payloads (benchmarks compare it
  // with the ring algorithms' 2(N−1)/N of the gradient).
  std::uint64_t sent_bytes() const { return sent_; }
  void count_sent(std::uint64_t bytes) const { sent_ += bytes; }

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  double timeout_;
  mutable std::uint64_t sent_ = 0;
};

}  // namespace descent::mpi
