// Writes fuzz_checkpoint's seeds into the directory given: valid checkpoints of every kind of
// section and of every optimizer, small enough for the fuzzer to mutate quickly.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "descent/checkpoint.hpp"
#include "descent/descent.hpp"

using namespace descent;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const Checkpoint& c) {
    std::ofstream(dir / name, std::ios::binary) << c.serialize();
  };
  std::vector<double> w{0.5, -1, 2, 0.25, 1, -0.5}, g{0.1, 0.2, -0.3, 0.4, 0, -0.1};
  std::vector<float> b{1, 2, 3}, gb{-1, 0.5f, 0};
  const std::vector<Param> params{Param("w", std::span(w), std::span(g), {2, 3}),
                                  Param("b", std::span(b), std::span(gb))};
  for (std::string_view name : {"sgdm", "adam", "rmsprop", "adagrad", "adam-bf16", "adam-q8"}) {
    // Low-bit state on every float32 tensor (min_size 0): the float32 "b" is stored in bf16 or q8.
    const bool bf16 = name == "adam-bf16", q8 = name == "adam-q8";
    auto opt = make_optimizer(bf16 || q8 ? "adam" : name, params);
    if (bf16) opt->set_state_options({StateDType::bf16, Rounding::stochastic, 7, 0});
    if (q8) opt->set_state_options({StateDType::q8, Rounding::nearest, 0, 0});
    opt->step();
    opt->step();
    Checkpoint c;
    c.put_optimizer(*opt);
    c.put_params("model/", params);
    write(std::string(name) + ".ckpt", c);
  }
  {  // bfloat16 parameters with master weights: dtype code 3 and a "master" slot
    std::vector<bf16> h(6, bf16(0.5f)), gh(6, bf16(0.25f)), c3(3, bf16(-1.0f)), gc(3, bf16(0.125f));
    const std::vector<Param> halves{Param("h", std::span(h), std::span(gh), {2, 3}),
                                    Param("c", std::span(c3), std::span(gc))};
    auto opt = make_optimizer("adam", halves);
    StateOptions o;
    o.master_weights = true;
    opt->set_state_options(o);
    opt->step();
    opt->step();
    Checkpoint c;
    c.put_optimizer(*opt);
    c.put_params("model/", halves);
    write("adam-bf16-params.ckpt", c);
  }
  Checkpoint c;
  c.put_bytes("rng", {1, 2, 3, 4});
  c.put_text("run", "{\"epochs\": 3}");
  c.put_i64("cursor", {1, 7});
  c.put_f64("schedule", {0.5});
  write("sections.ckpt", c);
  write("empty.ckpt", Checkpoint());
  return 0;
}
