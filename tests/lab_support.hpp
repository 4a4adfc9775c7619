#pragma once
// Shared by the lab's tests: golden files, running the built CLI, scratch directories.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "descent/lab/dataset.hpp"
#include "descent/lab/random.hpp"
#include "descent/lab/train.hpp"

namespace lab_test {

// The tutorial's split of iris: shuffled with seed 116, the last 30 samples test.
struct TutorialIris {
  descent::lab::Data<float> train, test;
  TutorialIris() {
    using namespace descent::lab;
    Dataset d = iris();
    Rng order(116, Stream::data_order);
    shuffle(d, order);
    auto [a, b] = split_tail(d, 30);
    train = to_data<float>(a);
    test = to_data<float>(b);
  }
};

inline nlohmann::json golden(const std::string& name) {
  std::ifstream in(std::string(DESCENT_GOLDEN_DIR) + "/lab/" + name);
  if (!in) throw std::runtime_error("missing golden file lab/" + name);
  return nlohmann::json::parse(in);
}

// Nested arrays → their numbers in row-major order.
inline void flatten(const nlohmann::json& j, std::vector<double>& out) {
  if (j.is_array())
    for (const auto& v : j) flatten(v, out);
  else
    out.push_back(j.get<double>());
}
inline std::vector<double> flat(const nlohmann::json& j) {
  std::vector<double> out;
  flatten(j, out);
  return out;
}

inline std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// A fresh directory for one test, removed with it.
struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = std::filesystem::path(::testing::TempDir()) /
          ("descent-" + std::string(info->test_suite_name()) + "-" + info->name() + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
  std::filesystem::path operator/(const std::string& name) const { return dir / name; }
};

struct Run {
  int exit_code;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs the built CLI (DESCENT_CLI) with `args`, stdout and stderr captured apart; `env` is
// prepended to the command ("PATH=/x" runs it with that PATH).
inline Run cli(const std::vector<std::string>& args, const Scratch& scratch, const std::string& env = "") {
  const auto out = scratch / ".stdout", err = scratch / ".stderr";
  std::string command = (env.empty() ? "" : "env " + env + " ") + shell_quote(DESCENT_CLI);
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string()) + " </dev/null";
  const int status = std::system(command.c_str());
  Run r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read(out), read(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

}  // namespace lab_test
