// Pieces of tensors (Param::as_piece, what zero1 gives each rank): low-bit state stepped piece
// by piece is the whole tensors' state, bit for bit, whatever order the pieces come in:
// min_size applies to the whole tensor, stochastic rounding is keyed by the whole tensor and
// element, and q8 pieces start on a block.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "descent/descent.hpp"

namespace {

using descent::Param;
using descent::Rounding;
using descent::StateDType;
using descent::StateOptions;

struct Tensors {
  std::vector<float> a, b, ga, gb;  // 1300 and 700 values
  Tensors() : a(1300), b(700), ga(1300), gb(700) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = float(std::sin(0.3 * double(i)));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(std::cos(0.2 * double(i)));
  }
  void gradient(int step) {
    for (std::size_t i = 0; i < a.size(); ++i) ga[i] = float(std::cos(0.01 * double(i) + step) * 1e-2);
    for (std::size_t i = 0; i < b.size(); ++i) gb[i] = float(std::sin(0.03 * double(i) - step));
  }
};

std::unique_ptr<descent::Optimizer> make(std::vector<Param> params, const StateOptions& so) {
  auto o = descent::make_optimizer("adam", std::move(params));
  o->set_state_options(so);
  return o;
}

bool same(const float* x, const float* y, std::size_t n) { return std::memcmp(x, y, n * sizeof(float)) == 0; }

TEST(LowbitPiece, PiecesStepAsTheirWholeTensors) {
  for (StateDType d : {StateDType::bf16, StateDType::q8})
    for (Rounding r : {Rounding::nearest, Rounding::stochastic}) {
      // min_size 1000: tensor a (1300) gets low-bit state, b (700) float32, and so do their pieces.
      const StateOptions so{d, r, 3, 1000};
      Tensors whole, cut;
      auto one = make(
          {Param("a", std::span(whole.a), std::span(whole.ga)), Param("b", std::span(whole.b), std::span(whole.gb))},
          so);
      // b first: its tensor index (1) is not its place here (0).
      auto pieces = make({Param("b", std::span(cut.b), std::span(cut.gb)).as_piece({1, 0, 700}),
                          Param("a.0", cut.a.data(), cut.ga.data(), 512).as_piece({0, 0, 1300}),
                          Param("a.1", cut.a.data() + 512, cut.ga.data() + 512, 788).as_piece({0, 512, 1300})},
                         so);
      for (int s = 0; s < 4; ++s) {
        whole.gradient(s);
        cut.gradient(s);
        one->step();
        pieces->step();
      }
      const std::string form = std::string(descent::to_string(d)) + " " + descent::to_string(r);
      EXPECT_NE(whole.a[0], Tensors().a[0]) << form;
      EXPECT_TRUE(same(whole.a.data(), cut.a.data(), 1300)) << form;
      EXPECT_TRUE(same(whole.b.data(), cut.b.data(), 700)) << form;
      EXPECT_EQ(pieces->state_dtype(2), d) << form;  // 788 values, but of a tensor of 1300
      EXPECT_EQ(pieces->state_dtype(0), StateDType::f32) << form;
      for (const char* slot : {"m", "v"}) {
        const float* all = one->state(0, slot).as<float>().data();
        const float* lo = pieces->state(1, slot).as<float>().data();
        const float* hi = pieces->state(2, slot).as<float>().data();
        EXPECT_TRUE(same(all, lo, 512) && same(all + 512, hi, 788)) << form << " " << slot;
      }
    }
}

TEST(LowbitPiece, Q8PiecesStartOnABlock) {
  std::vector<float> w(5000), g(5000);
  auto opt =
      descent::make_optimizer("adam", {Param("w", w.data() + 100, g.data() + 100, 4900).as_piece({0, 100, 5000})});
  try {
    opt->set_state_options({StateDType::q8});
    FAIL() << "no error";
  } catch (const descent::OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "adam: q8 state needs pieces on its blocks of 256 values; 'w' starts at element 100 of its tensor");
  }
  EXPECT_EQ(opt->state_dtype(0), StateDType::f32);  // unchanged
  opt->set_state_options({StateDType::bf16});       // bf16 has no blocks
  EXPECT_EQ(opt->state_dtype(0), StateDType::bf16);
  EXPECT_THROW(Param("w", w.data(), g.data(), 4900).as_piece({0, 200, 5000}), descent::Error);  // past its end
}

}  // namespace
