// The lab's training steps against PyTorch (golden/lab/generate_step.py → step.json): from a
// fixed initialization, four batches of iris, the loss, every gradient and every parameter
// after every step, in double. The tutorial's model with all five optimizers in the seed
// convention (the tutorial's formulas written in torch) and the pytorch convention
// (torch.optim), and three MLPs (tanh/relu/sigmoid, cross-entropy and MSE). Tolerances are
// rounding only (1e-12 relative): RMSProp with a tiny V_t amplifies the last bits step by step.
#include <gtest/gtest.h>

#include "descent/lab/model.hpp"
#include "descent/registry.hpp"
#include "lab_support.hpp"

namespace {

using namespace descent::lab;

TEST(LabTorchStep, EveryCaseMatchesPyTorch) {
  const auto g = lab_test::golden("step.json");
  std::vector<Matrix<double>> xs;
  std::vector<std::vector<int>> ys;
  for (const auto& b : g["batches"]) {
    const std::vector<double> x = lab_test::flat(b["x"]);
    xs.push_back(Eigen::Map<const Matrix<double>>(x.data(), Eigen::Index(x.size() / 4), 4));
    ys.push_back(b["y"].get<std::vector<int>>());
  }
  ASSERT_EQ(xs.size(), 4u);
  EXPECT_EQ(xs.back().rows(), 24);

  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    ModelSpec spec;
    spec.hidden = c["hidden"].get<std::vector<Eigen::Index>>();
    spec.activation = parse_activation(c["activation"].get<std::string>());
    spec.loss = parse_loss(c["loss"].get<std::string>());
    Model<double> model(spec, 32);
    auto params = model.params();
    ASSERT_EQ(params.size(), c["init"].size());
    for (auto& p : params) {
      const std::vector<double> init = lab_test::flat(c["init"][p.name()]);
      ASSERT_EQ(init.size(), p.size()) << p.name();
      std::copy(init.begin(), init.end(), p.value<double>().begin());
    }
    auto opt = descent::make_optimizer(c["optimizer"].get<std::string>(), params,
                                       descent::parse_convention(c["convention"].get<std::string>()),
                                       {{"lr", std::to_string(c["lr"].get<double>())}});
    for (std::size_t s = 0; s < xs.size(); ++s) {
      SCOPED_TRACE("step " + std::to_string(s + 1));
      const auto& want = c["steps"][s];
      const double loss = model.train_batch(ConstView<double>(xs[s].data(), xs[s].rows(), 4), ys[s]);
      EXPECT_NEAR(loss, want["loss"].get<double>(), 1e-12);
      for (auto& p : params) {
        const std::vector<double> grad = lab_test::flat(want["grads"][p.name()]);
        for (std::size_t i = 0; i < p.size(); ++i)
          EXPECT_NEAR(p.grad<double>()[i], grad[i], 1e-12 * (1 + std::abs(grad[i]))) << p.name() << i;
      }
      opt->step();
      for (auto& p : params) {
        const std::vector<double> value = lab_test::flat(want["params"][p.name()]);
        for (std::size_t i = 0; i < p.size(); ++i)
          EXPECT_NEAR(p.value<double>()[i], value[i], 1e-12 * (1 + std::abs(value[i]))) << p.name() << i;
      }
    }
  }
}

}  // namespace
