// descent explain over the whole family: every registry optimizer runs, its CSV keeps the
// contract's columns first, and extra state comes after them with the right numbers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "descent/descent.hpp"

namespace {

struct Result {
  int status;
  std::string out;
};

Result cli(const std::string& args) {
  std::string out;
  FILE* p = popen((std::string(DESCENT_CLI) + " " + args + " 2>&1").c_str(), "r");
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(FamilyExplain, EveryOptimizerKeepsTheContractColumnsFirst) {
  for (const auto& info : descent::optimizers()) {
    const Result r = cli("explain " + std::string(info.name) + " --grads 1,-2,0.5 --convention pytorch --format csv");
    EXPECT_EQ(r.status, 0) << info.name << ": " << r.out;
    EXPECT_EQ(r.out.rfind("t,g,m,v,eta,w", 0), 0u) << info.name << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4) << info.name;
  }
}

TEST(FamilyExplain, AdamaxShowsItsInfinityNormColumn) {
  const Result r = cli("explain adamax --grads 1,-2 --convention pytorch --format csv");
  ASSERT_EQ(r.status, 0) << r.out;
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
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("\"momentum_decay\": 0.01"), std::string::npos) << ok.out;
  const Result bad = cli("explain sgd --grads 1 --momentum-decay 0.01");
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.out, "descent: error: --momentum-decay does not apply to sgd\n");
  const Result range = cli("explain lion --grads 1 --weight-decay -1");
  EXPECT_EQ(range.status, 2);
  EXPECT_NE(range.out.find("weight_decay = -1 is out of range [0, inf)"), std::string::npos) << range.out;
}

}  // namespace
