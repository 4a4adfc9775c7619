// descent explain over the whole family: every registry optimizer runs, its CSV keeps the
// contract's columns first, and extra state comes after them with the right numbers.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "descent/descent.hpp"
#include "shell.hpp"

namespace {

using Result = shell::Outcome;

Result cli(const std::string& args) { return shell::descent(args); }

TEST(FamilyExplain, EveryOptimizerKeepsTheContractColumnsFirst) {
  for (const auto& info : descent::optimizers()) {
    const Result r = cli("explain " + std::string(info.name) + " --grads 1,-2,0.5 --convention pytorch --format csv");
    EXPECT_EQ(r.code, 0) << info.name << ": " << r.out;
    EXPECT_EQ(r.out.rfind("t,g,m,v,eta,w", 0), 0u) << info.name << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4) << info.name;
  }
}

TEST(FamilyExplain, AdamaxShowsItsInfinityNormColumn) {
  const Result r = cli("explain adamax --grads 1,-2 --convention pytorch --format csv");
  ASSERT_EQ(r.code, 0) << r.out;
  std::istringstream in(r.out);
  std::string header, row1, row2;
  std::getline(in, header);
  std::getline(in, row1);
  std::getline(in, row2);
  EXPECT_EQ(header, "t,g,m,v,eta,w,u");
  // u_1 = max(0, |1| + 1e-8); u_2 = max(0.999·u_1, |−2| + 1e-8) = 2 + 1e-8 (PyTorch's ε inside).
  EXPECT_DOUBLE_EQ(std::stod(row1.substr(row1.rfind(',') + 1)), 1 + 1e-8);
  EXPECT_DOUBLE_EQ(std::stod(row2.substr(row2.rfind(',') + 1)), 2 + 1e-8);
}

TEST(FamilyExplain, KebabCaseOptionsApplyOrAreRefused) {
  const Result ok = cli("explain nadam --grads 1 --momentum-decay 0.01 --format json");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("\"momentum_decay\": 0.01"), std::string::npos) << ok.out;
  const Result bad = cli("explain sgd --grads 1 --momentum-decay 0.01");
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.out,
            "descent: error: --momentum-decay does not apply to sgd (descent explain sgd --help lists its options)\n");
  const Result range = cli("explain lion --grads 1 --weight-decay -1");
  EXPECT_EQ(range.code, 2);
  EXPECT_NE(range.out.find("weight_decay = -1 is out of range [0, inf)"), std::string::npos) << range.out;
}

// Each optimizer's help lists its own options only, typed, with every convention's default.
TEST(FamilyExplain, HelpListsTheOptimizersOwnOptions) {
  const Result nadam = cli("explain nadam --help");
  ASSERT_EQ(nadam.code, 0) << nadam.out;
  EXPECT_NE(nadam.out.find("--momentum-decay FLOAT in [0, inf)"), std::string::npos) << nadam.out;
  EXPECT_NE(nadam.out.find("default seed 1e-08, pytorch 1e-08, keras 1e-07"), std::string::npos) << nadam.out;
  EXPECT_NE(nadam.out.find("--extra-mu BOOL"), std::string::npos) << nadam.out;
  for (const char* other : {"--dampening", "--trust-decay", "--centered", "--rho", "--lr TEXT"})
    EXPECT_EQ(nadam.out.find(other), std::string::npos) << other;
  const Result sgdm = cli("explain sgdm --help");
  EXPECT_NE(sgdm.out.find("--beta FLOAT in [0, 1)"), std::string::npos) << sgdm.out;  // the tutorial's β
  EXPECT_NE(sgdm.out.find("--momentum FLOAT in [0, 1)"), std::string::npos) << sgdm.out;
}

// The flag the user typed is the one the message names: --momentum is RMSProp's own momentum,
// not an alias of the tutorial's beta (it once set beta).
TEST(FamilyExplain, FlagsAreNamedAsTyped) {
  const Result rms = cli("explain rmsprop --grads 0.5 --momentum 0.5 --convention pytorch --format json");
  ASSERT_EQ(rms.code, 0) << rms.out;
  EXPECT_NE(rms.out.find("\"momentum\": 0.5"), std::string::npos) << rms.out;
  EXPECT_NE(rms.out.find("\"beta\": 0.99"), std::string::npos) << rms.out;
  const Result beta = cli("explain sgdm --grads 1 --beta 1.5");
  EXPECT_EQ(beta.code, 2);
  EXPECT_EQ(beta.out, "descent: error: --beta 1.5: sgdm: option momentum = 1.5 is out of range [0, 1)\n");
  const Result twice = cli("explain sgdm --grads 1 --beta 0.5 --momentum 0.6");
  EXPECT_EQ(twice.code, 2);
  EXPECT_EQ(twice.out, "descent: error: --momentum 0.6 and --beta 0.5 both set momentum\n");
  const Result moot = cli("explain sgd --grads 1 --dampening 0.5");
  EXPECT_EQ(moot.code, 2);
  EXPECT_EQ(moot.out, "descent: error: sgd: option dampening = 0.5 has no effect with momentum = 0\n");
  const Result none = cli("explain");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("explain needs an optimizer: one of sgd, sgdm, nesterov,"), std::string::npos) << none.out;
}

// The formula line is the chosen convention's, from the options the run has.
TEST(FamilyExplain, TheFormulaIsTheConventions) {
  const Result seed = cli("explain sgdm --grads 1");
  EXPECT_NE(seed.out.find("m_t = β·m_{t−1} + (1−β)·g_t   (m_0 = 0)"), std::string::npos) << seed.out;
  EXPECT_NE(seed.out.find("w_{t+1} = w_t − lr·m_t"), std::string::npos) << seed.out;
  const Result torch = cli("explain sgdm --grads 1 --convention pytorch");
  EXPECT_NE(torch.out.find("m_t = β·m_{t−1} + g_t   (m_1 = g_1)"), std::string::npos) << torch.out;
  const Result keras = cli("explain sgdm --grads 1 --convention keras");
  EXPECT_NE(keras.out.find("m_t = β·m_{t−1} + lr·g_t   (m_0 = 0)"), std::string::npos) << keras.out;
  EXPECT_NE(keras.out.find("w_{t+1} = w_t − m_t"), std::string::npos) << keras.out;
  const Result plain = cli("explain sgdm --grads 1 --convention keras --momentum 0");
  EXPECT_NE(plain.out.find("w_{t+1} = w_t − lr·g_t"), std::string::npos) << plain.out;
  const Result adam = cli("explain adam --grads 1 --convention keras");
  EXPECT_NE(adam.out.find("lr·√(1−β2^t)/(1−β1^t)·m_t / (√V_t + ε)"), std::string::npos) << adam.out;
}

// A run that overflows says where it diverged, with exit 2, after the rows up to it.
TEST(FamilyExplain, DivergingSaysAtWhichStep) {
  const Result r = cli("explain sgd --grads 1e300,1e300,1 --lr 1e300 --convention pytorch --format csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("descent: error: sgd diverged at step 1"), std::string::npos) << r.out;
  const Result empty = cli("explain sgd --grads ''");
  EXPECT_EQ(empty.code, 2) << empty.out;
  EXPECT_EQ(empty.out, "descent: error: --grads '': an empty list\n");
  const Result hole = cli("explain sgd --grads 1,,2");
  EXPECT_EQ(hole.code, 2) << hole.out;
  EXPECT_EQ(hole.out, "descent: error: --grads '1,,2': item 2 is empty\n");
  const Result word = cli("explain sgd --grads 1,x");
  EXPECT_EQ(word.code, 2) << word.out;
  EXPECT_EQ(word.out, "descent: error: --grads '1,x': item 2 ('x') is not a finite number\n");
}

}  // namespace
