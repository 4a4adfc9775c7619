// bf16 weights in the lab's loop (TrainOptions::bf16_params, docs/lowbit.md "bf16 parameters"):
// the optimizer steps bfloat16 weights and gradients while the model computes in float32. The
// reference is the loop written out here over float32 weights the test owns: the model's
// gradient at the widened bf16 weights, rounded to bf16; one float32 step of the rule; the new
// weights rounded once to bf16 (without master weights), or a float32 master stepped and rounded
// only into the model (with them).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "descent/bf16.hpp"
#include "descent/lab/train.hpp"
#include "descent/registry.hpp"
#include "lab_support.hpp"

namespace {

using namespace descent::lab;
using descent::bf16;

float rounded(float x) { return float(bf16(x)); }

bool bf16_exact(float x) {
  std::uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return (bits & 0xFFFFu) == 0;
}

struct Bf16Loop : lab_test::TutorialIris {
  ModelSpec spec{.hidden = {8}};

  void initialize(Model<float>& m) {
    Rng init(116, Stream::initialization);
    m.initialize(Initializer::truncated_normal, init);
  }

  // The lab's run of `epochs` epochs: the model's weights at the end.
  std::vector<std::vector<float>> lab_run(const std::string& optimizer, bool master_weights, int epochs) {
    Model<float> model(spec, 32);
    initialize(model);
    TrainOptions o;
    o.optimizer = optimizer;
    o.epochs = epochs;
    o.bf16_params = true;
    o.state.master_weights = master_weights;
    descent::lab::train(model, this->train, test, o);
    std::vector<std::vector<float>> w;
    for (const descent::Param& p : model.params()) w.emplace_back(p.value<float>().begin(), p.value<float>().end());
    return w;
  }

  // The same by hand: batches of 32 in data order, as the lab's loop takes them.
  std::vector<std::vector<float>> by_hand(const std::string& optimizer, bool master_weights, int epochs) {
    Model<float> model(spec, 32);
    initialize(model);
    std::vector<descent::Param> view = model.params();
    std::vector<std::vector<float>> weights, grads;
    for (const descent::Param& p : view) {
      weights.emplace_back(p.value<float>().begin(), p.value<float>().end());
      for (float& x : weights.back()) x = rounded(x);
      grads.emplace_back(weights.back().size());
    }
    std::vector<descent::Param> params;
    for (std::size_t i = 0; i < view.size(); ++i) params.emplace_back(view[i].name(), weights[i], grads[i]);
    auto opt = descent::make_optimizer(optimizer, params, descent::Convention::seed);
    const Eigen::Index n = this->train.x.rows(), features = this->train.x.cols();
    for (int e = 0; e < epochs; ++e)
      for (Eigen::Index begin = 0; begin < n; begin += 32) {
        const Eigen::Index rows = std::min<Eigen::Index>(32, n - begin);
        for (std::size_t i = 0; i < view.size(); ++i)
          for (std::size_t k = 0; k < weights[i].size(); ++k) view[i].value<float>()[k] = rounded(weights[i][k]);
        model.train_batch(ConstView<float>(this->train.x.data() + begin * features, rows, features),
                          std::span(this->train.y).subspan(std::size_t(begin), std::size_t(rows)));
        for (std::size_t i = 0; i < view.size(); ++i)
          for (std::size_t k = 0; k < grads[i].size(); ++k) grads[i][k] = rounded(view[i].grad<float>()[k]);
        opt->step();
        if (!master_weights)
          for (auto& w : weights)
            for (float& x : w) x = rounded(x);
      }
    for (auto& w : weights)
      for (float& x : w) x = rounded(x);
    return weights;
  }
};

TEST(LabBf16, TheLoopIsTheFloat32RuleOnBf16WeightsAndGradients) {
  Bf16Loop t;
  for (const char* optimizer : {"sgd", "adam"})
    for (bool master : {false, true}) {
      SCOPED_TRACE(std::string(optimizer) + (master ? " with master weights" : ""));
      const auto lab = t.lab_run(optimizer, master, 3), hand = t.by_hand(optimizer, master, 3);
      ASSERT_EQ(lab.size(), hand.size());
      for (std::size_t i = 0; i < lab.size(); ++i)
        for (std::size_t k = 0; k < lab[i].size(); ++k) {
          EXPECT_TRUE(bf16_exact(lab[i][k])) << i << "." << k << ": " << lab[i][k];
          ASSERT_EQ(lab[i][k], hand[i][k]) << "tensor " << i << ", value " << k;
        }
    }
}

TEST(LabBf16, MasterWeightsKeepUpdatesBelowHalfAnUlp) {
  // Adam at the seed convention's lr 0.1 moves every weight by about 0.1 a step, far above a
  // bf16 ulp; at lr 1e-4 most weights near 0.1 (ulp 2^-11 ≈ 4.9e-4) stand still without master
  // weights and move with them.
  Bf16Loop t;
  auto run = [&](bool master) {
    Model<float> model(t.spec, 32);
    t.initialize(model);
    TrainOptions o;
    o.optimizer = "adam";
    o.overrides = {{"lr", "1e-4"}};
    o.epochs = 2;
    o.bf16_params = true;
    o.state.master_weights = master;
    descent::lab::train(model, t.train, t.test, o);
    std::vector<float> w;
    for (const descent::Param& p : model.params()) w.insert(w.end(), p.value<float>().begin(), p.value<float>().end());
    return w;
  };
  Model<float> start(t.spec, 32);
  t.initialize(start);
  std::vector<float> w0;
  for (const descent::Param& p : start.params())
    for (float x : p.value<float>()) w0.push_back(rounded(x));
  const auto plain = run(false), master = run(true);
  std::size_t moved_plain = 0, moved_master = 0;
  for (std::size_t k = 0; k < w0.size(); ++k) {
    moved_plain += plain[k] != w0[k];
    moved_master += master[k] != w0[k];
  }
  EXPECT_LT(moved_plain, moved_master);
}

TEST(LabBf16, ARefusedRunLeavesTheWeightsAlone) {
  Bf16Loop t;
  Model<float> model(t.spec, 32);
  t.initialize(model);
  std::vector<float> before;
  for (const descent::Param& p : model.params())
    before.insert(before.end(), p.value<float>().begin(), p.value<float>().end());
  ASSERT_FALSE(std::all_of(before.begin(), before.end(), bf16_exact));  // rounding them would show
  TrainOptions o;
  o.optimizer = "adam";
  o.overrides = {{"beta1", "1.5"}};
  o.bf16_params = true;
  EXPECT_THROW(descent::lab::train(model, t.train, t.test, o), descent::OptionError);
  std::vector<float> after;
  for (const descent::Param& p : model.params())
    after.insert(after.end(), p.value<float>().begin(), p.value<float>().end());
  EXPECT_EQ(before, after);
}

TEST(LabBf16, AFloat64ModelIsRefused) {
  Bf16Loop t;
  Model<double> model(t.spec, 32);
  Data<double> train{t.train.x.cast<double>(), t.train.y}, test{t.test.x.cast<double>(), t.test.y};
  TrainOptions o;
  o.bf16_params = true;
  try {
    descent::lab::train(model, train, test, o);
    FAIL() << "no error";
  } catch (const descent::OptionError& e) {
    EXPECT_EQ(e.option(), "bf16_params");
    EXPECT_NE(std::string(e.what()).find("float64"), std::string::npos) << e.what();
  }
}

}  // namespace
