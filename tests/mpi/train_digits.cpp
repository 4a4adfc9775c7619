// A distributed training run of the digits MLP with checkpoints and an injected fault, for the
// fault test (fault_test.sh) and the benchmark's figures:
//   train_digits MODE OPTIMIZER STEPS OUT [--save FILE --save-every K] [--resume FILE]
//                [--timeout S] [--fault hang|die --fault-rank R --fault-step S]
// OUT gets the final weights as raw float64 (compared with cmp). Batches follow digits.hpp:
// 12 micro-batches per step in all, 12 / ranks per rank, so any of 1..4 ranks gives the same bits.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "descent/mpi/distributed.hpp"
#include "digits.hpp"

using namespace descent;

namespace {

struct Args {
  std::string mode, optimizer, out, save, resume, fault;
  int steps = 0, save_every = 0, fault_rank = -1, fault_step = -1;
  double timeout = 60;
};

Args parse(int argc, char** argv) {
  if (argc < 5) throw Error("usage: train_digits MODE OPTIMIZER STEPS OUT [options]");
  Args a{argv[1], argv[2], argv[4]};
  a.steps = std::stoi(argv[3]);
  for (int i = 5; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--save")
      a.save = value;
    else if (flag == "--save-every")
      a.save_every = std::stoi(value);
    else if (flag == "--resume")
      a.resume = value;
    else if (flag == "--timeout")
      a.timeout = std::stod(value);
    else if (flag == "--fault")
      a.fault = value;
    else if (flag == "--fault-rank")
      a.fault_rank = std::stoi(value);
    else if (flag == "--fault-step")
      a.fault_step = std::stoi(value);
    else
      throw Error("unknown option " + flag);
  }
  return a;
}

void fault(const Args& a, int rank, int step) {
  if (rank != a.fault_rank || step != a.fault_step) return;
  if (a.fault == "die") raise(SIGKILL);
  if (a.fault == "hang")
    for (;;) pause();  // alive, but never reaches the next collective
}

int run(const Args& a) {
  const mpi::Comm comm(MPI_COMM_WORLD, a.timeout);
  test::DigitsModel m;
  mpi::DistributedOptions o;
  o.mode = mpi::parse_mode(a.mode);
  if (test::total_pieces % comm.size() != 0) throw Error("ranks must divide 12");
  o.pieces = test::total_pieces / comm.size();
  mpi::Distributed d(
      comm, m.model.params(), [&](std::vector<Param> p) { return test::make(a.optimizer, std::move(p)); }, o);
  int from = 0;
  if (!a.resume.empty()) {
    const Checkpoint c = Checkpoint::load(a.resume);
    d.restore(c);
    from = int(c.i64("run/step").at(0));
  }
  const Eigen::Index rows = test::global_batch / test::total_pieces;
  for (int s = from; s < a.steps; ++s) {
    fault(a, comm.rank(), s);
    for (int j = 0; j < o.pieces; ++j) {
      m.gradient(s, Eigen::Index(comm.rank() * o.pieces + j) * rows, rows);
      d.add(j);
    }
    d.step();
    if (!a.save.empty() && a.save_every > 0 && (s + 1) % a.save_every == 0) {
      Checkpoint c = d.checkpoint();
      if (comm.rank() == 0) {
        c.put_i64("run/step", {s + 1});
        c.save(a.save);  // atomic: the previous checkpoint stays whole until this one is
      }
    }
  }
  if (comm.rank() == 0) {
    const std::vector<double> w = m.weights();
    std::ofstream(a.out, std::ios::binary)
        .write(reinterpret_cast<const char*>(w.data()), std::streamsize(w.size() * 8));
    std::printf("%s %s on %d ranks: %d steps, state %zu bytes on rank 0\n", a.mode.c_str(), a.optimizer.c_str(),
                comm.size(), a.steps, d.state_bytes());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  try {
    rc = run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_digits: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  MPI_Finalize();
  return rc;
}
