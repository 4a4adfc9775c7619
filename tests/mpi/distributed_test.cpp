// Distributed training of the digits MLP on every rank count mpirun gives (ctest runs 1, 2, 3
// and 4), against one process computing the same global batch. Each test names the order of the
// sums that makes its comparison bit-for-bit, or why it is within a tolerance.
#include "descent/mpi/distributed.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "digits.hpp"

namespace {

using descent::mpi::Comm;
using descent::mpi::Distributed;
using descent::mpi::DistributedOptions;
using descent::mpi::Mode;
using descent::mpi::Order;
using namespace descent::test;

int world_size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

// Trains `steps` steps from `from` on `comm`: rank r computes pieces r·k … r·k + k − 1 of each
// step's global batch (k = pieces_total / ranks micro-batches of global_batch / pieces_total).
struct Training {
  DigitsModel m;
  Distributed d;
  Training(const Comm& comm, const std::string& optimizer, DistributedOptions o)
      : d(
            comm, m.model.params(),
            [optimizer](std::vector<descent::Param> p) { return make(optimizer, std::move(p)); }, o) {}
  std::vector<double> norms;  // clip_grad_norm's, with clip > 0
  void train(int from, int steps, int pieces_total, double clip = 0) {
    const int k = d.options().pieces;
    const Eigen::Index rows = global_batch / pieces_total;
    for (int s = from; s < from + steps; ++s) {
      for (int j = 0; j < k; ++j) {
        m.gradient(s, Eigen::Index(d.comm().rank() * k + j) * rows, rows);
        d.add(j);
      }
      if (clip > 0) {
        d.reduce();
        norms.push_back(d.clip_grad_norm(clip));
      }
      d.step();
    }
  }
};

DistributedOptions options(Mode mode, int pieces, Order order = Order::fixed, std::size_t bucket = 1 << 20) {
  DistributedOptions o;
  o.mode = mode;
  o.pieces = pieces;
  o.order = order;
  o.bucket_bytes = bucket;
  return o;
}

// The first index where a and b differ in any bit, or -1.
long first_difference(const std::vector<double>& a, const std::vector<double>& b) {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0) return long(i);
  return a.size() == b.size() ? -1 : long(std::min(a.size(), b.size()));
}

double max_relative(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(std::abs(b[i]), 1e-300));
  return worst;
}

// Every rank's weights equal rank 0's, bit for bit.
void expect_same_on_every_rank(const Comm& comm, const std::vector<double>& w) {
  std::vector<double> root = w;
  MPI_Bcast(root.data(), int(root.size()), MPI_DOUBLE, 0, comm.get());
  EXPECT_EQ(first_difference(w, root), -1) << "rank " << comm.rank() << " differs from rank 0";
}

constexpr int steps = 8;

class EveryMode : public ::testing::TestWithParam<std::tuple<Mode, std::string>> {};

// The fixed order: each element is 0 + piece 0 + piece 1 + … + piece 11, whichever rank
// computed each piece, which is what one process accumulating the 12 micro-batches adds. The
// optimizer is elementwise (Adam, SGDM) or, for LAMB under ddp, sees whole tensors: bit for bit.
// LAMB under zero1 takes each tensor's Σw², Σr² as the sum of its slices' sums (one slice per
// rank sharing it, added in rank order): bit for bit at one rank, else the norms round
// differently from one process's, by a few units in the last place (tolerance 1e-12).
TEST_P(EveryMode, SameWeightsAsOneProcessAccumulatingTheSameMicroBatches) {
  const auto [mode, optimizer] = GetParam();
  const Comm comm(MPI_COMM_WORLD, 30);
  const int n = comm.size();
  Training run(comm, optimizer, options(mode, total_pieces / n));
  run.train(0, steps, total_pieces);
  const std::vector<double> w = run.m.weights(), ref = one_process_pieces(optimizer, 0, steps);
  expect_same_on_every_rank(comm, w);
  ASSERT_NE(first_difference(w, DigitsModel().weights()), -1);  // it trained
  if (optimizer == "lamb" && mode == Mode::zero1 && n > 1) {
    EXPECT_LE(max_relative(w, ref), 1e-12);
  } else {
    EXPECT_EQ(first_difference(w, ref), -1) << "max relative difference " << max_relative(w, ref);
  }
}

// One piece per rank (plain data parallelism, the cheapest): rank r's gradient is the mean
// over its 96/N samples, and the sum of the N means in rank order differs from one process's
// single mean over 96 samples by rounding: 1e-12 relative after 8 steps in float64 (bit for bit
// at one rank, where both are the same computation).
TEST_P(EveryMode, OnePiecePerRankIsTheLabsOneProcessRunUpToRounding) {
  const auto [mode, optimizer] = GetParam();
  const Comm comm(MPI_COMM_WORLD, 30);
  Training run(comm, optimizer, options(mode, 1));
  run.train(0, steps, comm.size());
  const std::vector<double> w = run.m.weights(), ref = one_process_batch(optimizer, steps);
  expect_same_on_every_rank(comm, w);
  if (comm.size() == 1)
    EXPECT_EQ(first_difference(w, ref), -1);
  else
    EXPECT_LE(max_relative(w, ref), 1e-12);
}

INSTANTIATE_TEST_SUITE_P(DigitsMlp, EveryMode,
                         ::testing::Combine(::testing::Values(Mode::ddp, Mode::zero1),
                                            ::testing::Values("adam", "sgdm", "lamb")),
                         [](const auto& info) {
                           return std::string(descent::mpi::to_string(std::get<0>(info.param))) + "_" +
                                  std::get<1>(info.param);
                         });

// Buckets only decide when a part of the gradient is sent: with buckets of 2 KiB (the first
// layer's weights alone, the rest in others) started in an order of the caller's choosing, the
// sums are the same as with one bucket.
TEST(Buckets, AnySizeAndOrderGiveTheSameWeights) {
  const Comm comm(MPI_COMM_WORLD, 30);
  const int k = total_pieces / comm.size();
  for (Mode mode : {Mode::ddp, Mode::zero1}) {
    Training one(comm, "adam", options(mode, k));
    one.train(0, 3, total_pieces);
    Training many(comm, "adam", options(mode, k, Order::fixed, 2048));
    ASSERT_GE(many.d.bucket_count(), 3u);
    EXPECT_EQ(many.d.bucket_of(0), 0u);  // dense1.weight (32 KiB) alone
    const Eigen::Index rows = global_batch / total_pieces;
    for (int s = 0; s < 3; ++s) {
      for (int j = 0; j < k; ++j) {
        many.m.gradient(s, Eigen::Index(comm.rank() * k + j) * rows, rows);
        for (std::size_t b = 0; b < many.d.bucket_count(); ++b)
          many.d.add((b + std::size_t(j)) % many.d.bucket_count(), j);
      }
      many.d.step();
    }
    EXPECT_EQ(first_difference(many.m.weights(), one.m.weights()), -1) << descent::mpi::to_string(mode);
  }
}

// Clipping by the global norm of the summed gradient (torch's clip_grad_norm_), at a max_norm
// the gradients exceed: ddp clips the whole gradient every rank holds, bit for bit as one
// process; zero1 adds the slices' Σg² (bit for bit at one rank, within rounding where the
// 64 × 64 weights are cut between ranks).
TEST(Clip, ByTheGlobalNormAcrossRanks) {
  const Comm comm(MPI_COMM_WORLD, 30);
  const int n = comm.size();
  std::vector<double> ref_norms;
  const std::vector<double> ref = one_process_pieces("adam", 0, 4, nullptr, 0.05, &ref_norms);
  ASSERT_GT(ref_norms.front(), 0.05);  // the clip is active
  for (Mode mode : {Mode::ddp, Mode::zero1}) {
    Training run(comm, "adam", options(mode, total_pieces / n));
    run.train(0, 4, total_pieces, 0.05);
    expect_same_on_every_rank(comm, run.m.weights());
    expect_same_on_every_rank(comm, run.norms);
    if (mode == Mode::ddp || n == 1) {
      EXPECT_EQ(first_difference(run.m.weights(), ref), -1) << descent::mpi::to_string(mode);
      EXPECT_EQ(first_difference(run.norms, ref_norms), -1) << descent::mpi::to_string(mode);
    } else {
      EXPECT_LE(max_relative(run.m.weights(), ref), 1e-12);
      EXPECT_LE(max_relative(run.norms, ref_norms), 1e-12);
    }
  }
}

// MPI_Iallreduce sums in MPI's order: the same on every rank (Open MPI's algorithms hand every
// rank the same result), within rounding of the fixed order.
TEST(OrderMpi, EveryRankHoldsTheSameWeights) {
  const Comm comm(MPI_COMM_WORLD, 30);
  Training run(comm, "adam", options(Mode::ddp, 1, Order::mpi));
  run.train(0, steps, comm.size());
  expect_same_on_every_rank(comm, run.m.weights());
  EXPECT_LE(max_relative(run.m.weights(), one_process_batch("adam", steps)), 1e-12);
}

// ZeRO-1 keeps about 1/N of the state per rank: the shares are an even split by elements, each
// cut moved back by less than 256 elements (to a block of 256 in the 64 × 64 weights).
TEST(Zero1, StateIsOneNthPerRank) {
  const Comm comm(MPI_COMM_WORLD, 30);
  Training whole(comm, "adam", options(Mode::ddp, 1));
  Training share(comm, "adam", options(Mode::zero1, 1));
  EXPECT_EQ(whole.d.state_bytes(), 2 * 4810 * sizeof(double));  // m and v of every parameter
  const double elements = double(share.d.state_bytes()) / (2 * sizeof(double));
  EXPECT_LE(elements, 4810.0 / comm.size() + 256);
  unsigned long long total = share.d.state_bytes(), sum = 0;
  MPI_Allreduce(&total, &sum, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm.get());
  EXPECT_EQ(sum, whole.d.state_bytes());  // the shares cover the state once
}

// A checkpoint written by N ranks resumes on N − 1 ranks (a sub-communicator) and in one
// process, to the weights of the uninterrupted run, bit for bit (the fixed order with 12
// micro-batches in all, for Adam and SGDM).
TEST(Checkpoint, ResumesOnAnotherRankCountAndInOneProcess) {
  const Comm comm(MPI_COMM_WORLD, 30);
  const int n = comm.size();
  const std::filesystem::path dir = DESCENT_MPI_SCRATCH;
  for (Mode mode : {Mode::ddp, Mode::zero1})
    for (const std::string optimizer : {"adam", "sgdm"}) {
      const std::filesystem::path file =
          dir / ("resume-" + std::to_string(n) + "-" + descent::mpi::to_string(mode) + "-" + optimizer + ".ckpt");
      Training run(comm, optimizer, options(mode, total_pieces / n));
      run.train(0, 4, total_pieces);
      const descent::Checkpoint c = run.d.checkpoint();
      if (comm.rank() == 0) {
        std::filesystem::create_directories(dir);
        c.save(file);
      }
      MPI_Barrier(comm.get());
      run.train(4, 4, total_pieces);
      const std::vector<double> uninterrupted = run.m.weights();

      const int fewer = std::max(1, n - 1);
      MPI_Comm sub;
      MPI_Comm_split(comm.get(), comm.rank() < fewer ? 0 : MPI_UNDEFINED, comm.rank(), &sub);
      if (sub != MPI_COMM_NULL) {
        const Comm small(sub, 30);
        Training resumed(small, optimizer, options(mode, total_pieces / fewer));
        resumed.d.restore(descent::Checkpoint::load(file));
        resumed.train(4, 4, total_pieces);
        EXPECT_EQ(first_difference(resumed.m.weights(), uninterrupted), -1)
            << n << " ranks → " << fewer << ", " << descent::mpi::to_string(mode) << " " << optimizer;
        MPI_Comm_free(&sub);
      }
      if (comm.rank() == 0) {
        const descent::Checkpoint loaded = descent::Checkpoint::load(file);
        EXPECT_EQ(first_difference(one_process_pieces(optimizer, 4, 4, &loaded), uninterrupted), -1)
            << n << " ranks → one process, " << descent::mpi::to_string(mode) << " " << optimizer;
      }
      MPI_Barrier(comm.get());
    }
}

// A checkpoint of another model changes nothing on any rank and says what is wrong.
TEST(Checkpoint, OfAnotherOptimizerIsRefusedAndChangesNothing) {
  const Comm comm(MPI_COMM_WORLD, 30);
  for (Mode mode : {Mode::ddp, Mode::zero1}) {
    Training adam(comm, "adam", options(mode, 1));
    adam.train(0, 1, comm.size());
    const descent::Checkpoint c = adam.d.checkpoint();
    std::string bytes = comm.rank() == 0 ? c.serialize() : std::string();
    unsigned long size = bytes.size();
    MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG, 0, comm.get());
    bytes.resize(size);
    MPI_Bcast(bytes.data(), int(size), MPI_BYTE, 0, comm.get());
    Training sgdm(comm, "sgdm", options(mode, 1));
    const std::vector<double> before = sgdm.m.weights();
    try {
      sgdm.d.restore(descent::Checkpoint::parse(bytes, "adam.ckpt"));
      ADD_FAILURE() << "no error";
    } catch (const descent::Error& e) {
      EXPECT_NE(std::string(e.what()).find("adam"), std::string::npos) << e.what();
    }
    EXPECT_EQ(first_difference(sgdm.m.weights(), before), -1);
  }
}

TEST(Options, AreCheckedBeforeAnyCollective) {
  const Comm comm(MPI_COMM_WORLD, 30);
  DigitsModel m;
  auto factory = [](std::vector<descent::Param> p) { return make("adam", std::move(p)); };
  auto error = [&](DistributedOptions o) {
    try {
      Distributed d(comm, m.model.params(), factory, o);
    } catch (const descent::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(options(Mode::ddp, 0)), "pieces 0 is out of range [1, 1024]");
  EXPECT_EQ(error(options(Mode::zero1, 1, Order::mpi)),
            "order mpi is for ddp only (zero1 reduce-scatters in the fixed order)");
  EXPECT_EQ(error(options(Mode::ddp, 1, Order::fixed, 0)), "bucket_bytes 0 is out of range [1, inf)");
  EXPECT_THROW(descent::mpi::parse_mode("zero2"), descent::OptionError);
  EXPECT_THROW(Comm(MPI_COMM_WORLD, 0), descent::OptionError);
}

}  // namespace
