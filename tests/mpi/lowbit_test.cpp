// zero1 with low-bit optimizer state (bf16, q8; to nearest and stochastic) on every rank count
// mpirun gives: each rank steps Pieces of the tensors, and the weights, the state and its
// checkpoints are one process's, bit for bit. The reference is one process stepping the whole
// tensors with the same summed gradients (12 micro-batches added in order).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "descent/descent.hpp"
#include "descent/mpi/distributed.hpp"
#include "state_forms.hpp"

namespace {

// The library, its MPI layer and the shared forms (state_forms.hpp), by their plain names.
using namespace descent;
using namespace descent::mpi;
using namespace descent::test;

// Float32 tensors that zero1 cuts inside on 2–4 ranks (5000 and 4352 values: past min_size,
// several q8 blocks, a partial last block), one below min_size (300: float32 state) and a
// small one; a micro-batch's gradient is a fixed function of step, piece and element.
struct Tensors {
  std::vector<std::size_t> sizes;
  std::vector<std::vector<float>> w, g;
  explicit Tensors(std::vector<std::size_t> s) : sizes(std::move(s)) {
    for (std::size_t t = 0; t < sizes.size(); ++t) {
      w.emplace_back(sizes[t]);
      g.emplace_back(sizes[t]);
      for (std::size_t i = 0; i < sizes[t]; ++i) w[t][i] = float(std::sin(0.37 * double(i) + double(t)));
    }
  }
  std::vector<Param> params() {
    std::vector<Param> p;
    for (std::size_t t = 0; t < w.size(); ++t)
      p.emplace_back("t" + std::to_string(t), std::span(w[t]), std::span(g[t]));
    return p;
  }
  void gradient(int step, int piece) {
    for (std::size_t t = 0; t < g.size(); ++t)
      for (std::size_t i = 0; i < g[t].size(); ++i)
        g[t][i] = float(std::cos(0.011 * double(i * (t + 1)) + 0.7 * step + 0.13 * piece) * (1 + 0.1 * piece));
  }
  std::vector<float> weights() const {
    std::vector<float> all;
    for (const auto& x : w) all.insert(all.end(), x.begin(), x.end());
    return all;
  }
};

// One process: `steps` steps from step 0; its state and checkpoint at the end, if asked.
std::vector<float> one_process(const Form& f, std::vector<std::size_t> sizes, int steps,
                               descent::OptimizerState* state = nullptr, descent::Checkpoint* save = nullptr) {
  Tensors m(std::move(sizes));
  std::vector<std::vector<float>> acc;
  std::vector<Param> params;
  for (std::size_t t = 0; t < m.w.size(); ++t) {
    acc.emplace_back(m.w[t].size(), 0.0f);
    params.emplace_back("t" + std::to_string(t), std::span(m.w[t]), std::span<const float>(acc.back()));
  }
  auto opt = make(f, params);
  descent::GradientAccumulation accumulate(*opt, total_pieces);
  for (int s = 0; s < steps; ++s) {
    for (auto& a : acc) std::fill(a.begin(), a.end(), 0.0f);
    for (int q = 0; q < total_pieces; ++q) {
      m.gradient(s, q);
      for (std::size_t t = 0; t < acc.size(); ++t)
        for (std::size_t i = 0; i < acc[t].size(); ++i) acc[t][i] += m.g[t][i];
      accumulate.add();
    }
    opt->step();
  }
  if (state) *state = opt->export_state();
  if (save) save->put_training(*opt);
  return m.weights();
}

struct Zero1 {
  Tensors m;
  Distributed d;
  Zero1(const Comm& comm, const Form& f, std::vector<std::size_t> sizes)
      : m(std::move(sizes)),
        d(
            comm, m.params(), [f](std::vector<Param> p) { return make(f, std::move(p)); }, options(comm)) {}
  static DistributedOptions options(const Comm& comm) {
    DistributedOptions o;
    o.mode = Mode::zero1;
    o.pieces = total_pieces / comm.size();
    return o;
  }
  void train(int from, int steps) {
    const int k = d.options().pieces;
    for (int s = from; s < from + steps; ++s) {
      for (int j = 0; j < k; ++j) {
        m.gradient(s, d.comm().rank() * k + j);
        d.add(j);
      }
      d.step();
    }
  }
};

long first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return long(std::min(a.size(), b.size()));
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return long(i);
  return -1;
}

std::vector<Form> forms() {
  std::vector<Form> out;
  for (const char* optimizer : {"adam", "lion"})
    for (StateDType d : {StateDType::bf16, StateDType::q8})
      for (descent::Rounding r : {descent::Rounding::nearest, descent::Rounding::stochastic}) {
        Form f{optimizer, {}, std::string(optimizer) + " " + descent::to_string(d) + " " + descent::to_string(r)};
        f.state.dtype = d;
        f.state.rounding = r;
        f.state.seed = 11;
        out.push_back(f);
      }
  return out;
}

const std::vector<std::size_t> sizes{5000, 300, 4352, 7};

TEST(Zero1LowBit, WeightsAndStateAreOneProcessesBitForBit) {
  const Comm comm(MPI_COMM_WORLD, 30);
  for (const Form& f : forms()) {
    Zero1 run(comm, f, sizes);
    run.train(0, 5);
    descent::OptimizerState ref_state;
    const std::vector<float> ref = one_process(f, sizes, 5, &ref_state);
    EXPECT_EQ(first_difference(run.m.weights(), ref), -1) << f.name << " on " << comm.size() << " ranks";
    ASSERT_NE(first_difference(run.m.weights(), Tensors(sizes).weights()), -1);  // it trained
    // The checkpoint joins the ranks' codes and scales into the one process's state.
    const descent::Checkpoint c = run.d.checkpoint();
    if (comm.rank() == 0) {
      const descent::OptimizerState joined = c.optimizer_state("optimizer");
      descent::test::expect_same_state(joined, ref_state, f.name);
      EXPECT_EQ(ref_state.params[1].slots[0].dtype, StateDType::f32);  // 300 values: below min_size
      EXPECT_EQ(ref_state.params[0].slots[0].dtype, f.state.dtype);
    }
  }
}

// One process's checkpoint, cut into this rank count's shares, resumes to its uninterrupted run.
TEST(Zero1LowBit, ResumesFromOneProcesssCheckpoint) {
  const Comm comm(MPI_COMM_WORLD, 30);
  for (const Form& f : forms()) {
    descent::Checkpoint c;
    one_process(f, sizes, 3, nullptr, &c);
    Zero1 run(comm, f, sizes);
    run.d.restore(c);
    run.train(3, 3);
    EXPECT_EQ(first_difference(run.m.weights(), one_process(f, sizes, 6)), -1) << f.name << " on " << comm.size();
  }
}

// Tensors too small to cut on 256-value blocks: some ranks own nothing, and the result is still
// one process's.
TEST(Zero1LowBit, EmptySharesWork) {
  const Comm comm(MPI_COMM_WORLD, 30);
  Form f{"adam", {}, "adam q8"};
  f.state.dtype = StateDType::q8;
  f.state.min_size = 1;
  Zero1 run(comm, f, {10, 5});
  run.train(0, 4);
  descent::OptimizerState ref;
  EXPECT_EQ(first_difference(run.m.weights(), one_process(f, {10, 5}, 4, &ref)), -1);
  const descent::Checkpoint c = run.d.checkpoint();  // rank 0 joins it, owning nothing itself
  if (comm.rank() == 0) {
    const descent::OptimizerState joined = c.optimizer_state("optimizer");
    EXPECT_EQ(joined.groups.at(0).t, 4);
    descent::test::expect_same_state(joined, ref, f.name);
  }
  // The even cuts fall inside the first tensor and move back to its start: rank 0 owns nothing.
  if (comm.size() > 1 && comm.rank() == 0) EXPECT_TRUE(run.d.optimizer().params().empty());
  unsigned long mine = run.d.optimizer().params().size(), all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_UNSIGNED_LONG, MPI_SUM, comm.get());
  EXPECT_EQ(all, 2u);
}

}  // namespace
