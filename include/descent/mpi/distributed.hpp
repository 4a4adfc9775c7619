#pragma once
// Training on several processes (MPI ranks) with any optimizer of the registry
// (docs/distributed.md). Each rank computes the gradients of its part of the global batch into
// the parameters' gradient memory and hands them over bucket by bucket; then
//   ddp:   the buckets' gradients are summed across ranks (reduce-scatter, then all-gather), and
//          every rank steps every parameter with a whole optimizer;
//   zero1: the buckets' gradients are reduce-scattered, each rank steps only its share of the
//          flat parameter space (an even split by elements, cut at a tensor's start or a
//          multiple of 256 in it, so one tensor may be shared by ranks and a share may be empty)
//          with an optimizer holding only that share's state, and the parameters are
//          all-gathered. Low-bit state (bf16, q8) is the one process's, bit for bit: the slices
//          are Pieces of their tensors (descent/param.hpp).
// Every collective is non-blocking and waited for with the Comm's deadline.
//
// The sums' order is fixed here, not by MPI (Order::fixed): rank r's gradient pieces are
// pieces r·k … r·k + k − 1 of the step (k = pieces), and every element is the sum of all N·k
// pieces added one by one in that order, starting from 0. So for the same N·k the summed
// gradient is bit-identical for any N, and equal to one process adding the same N·k
// micro-batch gradients in order (GradientAccumulation).
//
//   descent::mpi::Distributed d(comm, model.params(), make, {.mode = Mode::zero1});
//   for each step: { compute this rank's gradient; d.add(); d.step(); }
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "descent/checkpoint.hpp"
#include "descent/mpi/comm.hpp"
#include "descent/optimizer.hpp"

namespace descent::mpi {

enum class Mode { ddp, zero1 };
Mode parse_mode(std::string_view name);  // "ddp" or "zero1"; throws OptionError naming both
const char* to_string(Mode m);

enum class Order {
  fixed,  // pieces added in rank order by descent (Ialltoallv, the sum, Iallgatherv)
  mpi,    // ddp only: each rank's pieces summed, then MPI_Iallreduce in MPI's own order
};

struct DistributedOptions {
  Mode mode = Mode::ddp;
  Order order = Order::fixed;
  // Whole tensors are packed into flat buckets of up to this many bytes (a tensor larger than
  // that gets a bucket of its own); each bucket is reduced as soon as its gradients are in.
  std::size_t bucket_bytes = std::size_t(1) << 20;
  int pieces = 1;  // gradient pieces (micro-batches) each rank adds per step, in [1, 1024]
};

// Builds the optimizer over the Params it is given: ddp passes every parameter (gradients
// viewing the reduced buckets), zero1 this rank's slices (named as their tensors, 1-D, each
// a Piece of its tensor; maybe none).
using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<Param>)>;

class Distributed {
 public:
  // `params`: every rank passes the same names, shapes and dtype (float, double or bf16) in
  // the same order, with equal values. Throws Error / OptionError before any collective.
  Distributed(const Comm& comm, std::vector<Param> params, const MakeOptimizer& make, DistributedOptions options = {});
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  const Comm& comm() const { return comm_; }
  const DistributedOptions& options() const { return options_; }
  // ddp: over every parameter; zero1: over this rank's share. Its gradients are the reduced
  // sums, with 1/(ranks·pieces) pending as its gradient scale after reduce().
  Optimizer& optimizer() { return *optimizer_; }
  const Optimizer& optimizer() const { return *optimizer_; }
  const std::vector<Param>& params() const { return params_; }  // the caller's
  std::size_t bucket_count() const;
  std::size_t bucket_of(std::size_t param) const;

  // Piece `piece` of this step for one bucket: copies its parameters' gradients; the bucket's
  // reduction starts once all its pieces are in, while the caller computes other gradients.
  void add(std::size_t bucket, int piece);
  void add(int piece = 0);  // every bucket, in reverse order (the order backprop finishes them)
  // Waits for every bucket: the optimizer's gradients are then the sum over all ranks' pieces.
  void reduce();
  // reduce() if still pending, the optimizer's step, and under zero1 the parameters' all-gather:
  // every rank then holds bit-identical parameters.
  void step();

  // clip_grad_norm (descent/clip.hpp) by the norm of the whole summed gradient across ranks,
  // the same on every rank; call it after reduce(), before step(). ddp: every rank holds the
  // whole gradient; zero1: each tensor's Σg² is the sum of its slices' (bit-identical to one
  // process's where no tensor is cut between ranks). Returns the norm before clipping.
  double clip_grad_norm(double max_norm);

  // A checkpoint of the run as one process's Checkpoint::put_training writes it (sections
  // "model/<name>" and "optimizer", the state of every parameter), so it resumes on any number
  // of ranks or in one process. Collective; the checkpoint is complete on rank 0, empty elsewhere.
  Checkpoint checkpoint() const;
  // Every rank loads the same checkpoint (written by any rank count or by one process): the
  // parameters' values and this rank's part of the optimizer state. All or nothing per rank.
  void restore(const Checkpoint& c);

  // This rank's optimizer state, in bytes (zero1: about 1/N of one process's).
  std::size_t state_bytes() const;

  struct Impl;

 private:
  // Every tensor's `width` sums (params() order) from this rank's slices' sums (share order):
  // all-gathered, and each tensor's slices added in rank order from 0. Collective.
  std::vector<double> tensor_sums(std::span<const double> mine, std::size_t width) const;

  const Comm& comm_;
  DistributedOptions options_;
  std::vector<Param> params_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Optimizer> optimizer_;
};

}  // namespace descent::mpi
