#pragma once
// Distributed's private state: the layout and, per bucket, its buffers and where its
// reduction stands. Shared by distributed.cpp (the steps) and checkpoint.cpp.
#include <mpi.h>

#include <vector>

#include "descent/detail/param_bytes.hpp"
#include "descent/mpi/distributed.hpp"
#include "layout.hpp"

namespace descent::mpi {

using descent::detail::grad_bytes;
using descent::detail::value_bytes;

struct Distributed::Impl {
  detail::Layout layout;
  MPI_Datatype type = MPI_DOUBLE;
  std::size_t width = sizeof(double);  // bytes per element
  int ranks = 1, rank = 0, pieces = 1;

  struct Run {
    enum Stage { filling, scattering, gathering, reduced };
    // send: for each destination rank s, the k pieces of segment s one after the other;
    // recv: the k pieces of this rank's segment from every rank, in rank order.
    std::vector<unsigned char> send, recv;
    // ddp: the whole bucket's summed gradient (the optimizer's gradients view it);
    // zero1: this rank's segment of it.
    std::vector<unsigned char> grad;
    std::vector<unsigned char> values;  // zero1: the bucket's parameters, for their all-gather
    std::vector<int> scount, sdispl, rcount, rdispl, gcount, gdispl;  // in elements
    std::vector<char> have;                                           // per piece
    int in = 0;
    Stage stage = filling;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  std::vector<Run> runs;
  bool reduced = false;
  std::vector<double> all_sums;  // zero1: every rank's per-slice sums (the sums hook)
};

}  // namespace descent::mpi
