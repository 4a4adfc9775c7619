// `descent bench` as a command: its JSON contract and its bad-input errors. (Its speed is
// measured by running it, never asserted here.)
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct Outcome {
  int code;
  std::string out;
};

Outcome run(const std::string& args) {
  const std::string cmd = std::string(DESCENT_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(BenchCli, JsonHasOneResultPerOptimizerWithTheContractKeys) {
  const Outcome r = run("bench --optimizer sgdm,adam --preset big --threads 1 --steps 1 --warmup 0 --format json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  const char* names[] = {"sgdm", "adam"};
  const int bytes[] = {20, 28};  // read w, g, slots; write w, slots: 4·(3 + 2·slots)
  for (int i = 0; i < 2; ++i) {
    const auto& x = j[i];
    EXPECT_EQ(x["optimizer"], names[i]);
    EXPECT_EQ(x["preset"], "big");
    EXPECT_EQ(x["threads"].get<int>(), 1);
    EXPECT_EQ(x["params"].get<long>(), 1L << 24);
    EXPECT_EQ(x["bytes_per_param"].get<int>(), bytes[i]);
    for (const char* key : {"ms_per_step", "gbytes_per_s", "roofline_gbytes_per_s", "fraction_of_roofline"})
      EXPECT_GT(x[key].get<double>(), 0) << key;
    // GB/s is bytes moved per step over the step's time.
    EXPECT_NEAR(x["gbytes_per_s"].get<double>(), bytes[i] * double(1 << 24) / (x["ms_per_step"].get<double>() * 1e6),
                1e-6 * x["gbytes_per_s"].get<double>());
  }
}

TEST(BenchCli, UnknownPresetOrOptimizerIsOneLineAndExitTwo) {
  Outcome r = run("bench --preset huge");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "descent: error: --preset 'huge' is not one of gpt2-small, big, many-small, all\n");
  r = run("bench --optimizer nosuchopt");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--optimizer 'nosuchopt'"), std::string::npos) << r.out;
  r = run("bench --threads -1");
  EXPECT_EQ(r.code, 2);
}

}  // namespace
