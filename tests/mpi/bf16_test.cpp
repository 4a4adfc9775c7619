// bfloat16 parameters under ddp and zero1 on every rank count mpirun gives: the ranks' bf16
// gradient pieces are summed in float32 in the fixed order and rounded to bf16 once, so the
// weights (and zero1's joined state, master weights included) are those of one process that
// adds the same 12 micro-batches in float32 and rounds the sum once.
#include <gtest/gtest.h>

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
const std::vector<std::size_t> sizes{5000, 300, 4352};

struct Tensors {
  std::vector<std::vector<bf16>> w, g;
  Tensors() {
    for (std::size_t t = 0; t < sizes.size(); ++t) {
      w.emplace_back(sizes[t]);
      g.emplace_back(sizes[t]);
      for (std::size_t i = 0; i < sizes[t]; ++i) w[t][i] = bf16(float(std::sin(0.37 * double(i) + double(t))));
    }
  }
  std::vector<Param> params() {
    std::vector<Param> p;
    for (std::size_t t = 0; t < w.size(); ++t)
      p.emplace_back("t" + std::to_string(t), std::span(w[t]), std::span(g[t]));
    return p;
  }
  void gradient(int step, int piece) {  // this micro-batch's gradient, in bf16 as a model would hand it over
    for (std::size_t t = 0; t < g.size(); ++t)
      for (std::size_t i = 0; i < g[t].size(); ++i)
        g[t][i] = bf16(float(std::cos(0.011 * double(i * (t + 1)) + 0.7 * step + 0.13 * piece) * (1 + 0.1 * piece)));
  }
  std::vector<std::uint16_t> bits() const {
    std::vector<std::uint16_t> all;
    for (const auto& x : w)
      for (bf16 v : x) all.push_back(v.bits);
    return all;
  }
};

std::vector<Form> forms() {
  Form plain{"adam", {}, "adam, f32 state"};
  Form master{"adam", {}, "adam, q8 state (stochastic), master weights"};
  master.state.dtype = StateDType::q8;
  master.state.rounding = descent::Rounding::stochastic;
  master.state.master_weights = true;
  master.state.seed = 5;
  Form weights{"lion", {}, "lion, bf16 state, weights rounded stochastically"};
  weights.state.dtype = StateDType::bf16;
  weights.state.rounding = descent::Rounding::stochastic;
  weights.state.seed = 9;
  return {plain, master, weights};
}

std::vector<std::uint16_t> one_process(const Form& f, int steps, descent::OptimizerState* state) {
  Tensors m;
  std::vector<std::vector<float>> acc;
  std::vector<std::vector<bf16>> grad;
  std::vector<Param> params;
  for (std::size_t t = 0; t < m.w.size(); ++t) {
    acc.emplace_back(m.w[t].size());
    grad.emplace_back(m.w[t].size());
    params.emplace_back("t" + std::to_string(t), std::span(m.w[t]), std::span<const bf16>(grad.back()));
  }
  auto opt = make(f, params);
  descent::GradientAccumulation accumulate(*opt, total_pieces);
  for (int s = 0; s < steps; ++s) {
    for (auto& a : acc) std::fill(a.begin(), a.end(), 0.0f);
    for (int q = 0; q < total_pieces; ++q) {
      m.gradient(s, q);
      for (std::size_t t = 0; t < acc.size(); ++t)
        for (std::size_t i = 0; i < acc[t].size(); ++i) acc[t][i] += float(m.g[t][i]);
      accumulate.add();
    }
    for (std::size_t t = 0; t < acc.size(); ++t)
      for (std::size_t i = 0; i < acc[t].size(); ++i) grad[t][i] = bf16(acc[t][i]);
    opt->step();
  }
  *state = opt->export_state();
  return m.bits();
}

TEST(Bf16Params, EveryModeIsOneProcessBitForBit) {
  const Comm comm(MPI_COMM_WORLD, 30);
  for (const Form& f : forms())
    for (Mode mode : {Mode::ddp, Mode::zero1}) {
      Tensors m;
      DistributedOptions o;
      o.mode = mode;
      o.pieces = total_pieces / comm.size();
      Distributed d(
          comm, m.params(), [&f](std::vector<Param> p) { return make(f, std::move(p)); }, o);
      for (int s = 0; s < 4; ++s) {
        for (int j = 0; j < o.pieces; ++j) {
          m.gradient(s, comm.rank() * o.pieces + j);
          d.add(j);
        }
        d.step();
      }
      descent::OptimizerState ref;
      const std::vector<std::uint16_t> expected = one_process(f, 4, &ref);
      const std::string what =
          f.name + " under " + descent::mpi::to_string(mode) + " on " + std::to_string(comm.size()) + " ranks";
      EXPECT_TRUE(m.bits() == expected) << what;
      EXPECT_FALSE(m.bits() == Tensors().bits()) << what;  // it trained
      const descent::Checkpoint c = d.checkpoint();
      if (comm.rank() != 0) continue;
      const descent::OptimizerState joined = c.optimizer_state("optimizer");
      descent::test::expect_same_state(joined, ref, what);
    }
}

TEST(Bf16Params, OrderMpiIsRefused) {
  const Comm comm(MPI_COMM_WORLD, 30);
  Tensors m;
  DistributedOptions o;
  o.order = descent::mpi::Order::mpi;
  try {
    Distributed d(
        comm, m.params(), [](std::vector<Param> p) { return make(forms()[0], std::move(p)); }, o);
    ADD_FAILURE() << "no error";
  } catch (const descent::OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "order mpi is for float32 and float64 parameters (MPI has no bfloat16 sum; the fixed order sums "
                 "bfloat16 gradients in float32)");
  }
}

}  // namespace
