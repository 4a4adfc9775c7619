// What a distributed step costs each rank, run under mpirun -np N (BENCHMARKS.md):
//   the optimizer state it keeps (zero1 against the whole state one process keeps), and
//   the bytes it hands MPI to send per step, against the ring algorithms' 2(N−1)/N of the
//   gradient (ddp: reduce-scatter + all-gather of the gradient; zero1: reduce-scatter of the
//   gradient + all-gather of the parameters).
// Adam on 1,000,000 float64 parameters in 6 tensors of uneven sizes, 5 steps.
//   mpirun -np N build/bench/descent_bench_mpi_traffic [ddp|zero1 [STEPS]]
// The counts are what descent hands MPI; Open MPI's own count of the bytes its point-to-point
// layer sends (--mca pml_monitoring_enable 2) checks them: run STEPS and 2·STEPS and subtract.
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "descent/mpi/distributed.hpp"
#include "descent/registry.hpp"

using namespace descent;

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const mpi::Comm comm(MPI_COMM_WORLD, 120);
  const std::vector<std::size_t> sizes{400000, 250000, 200000, 100000, 49000, 1000};
  const std::size_t total = std::accumulate(sizes.begin(), sizes.end(), std::size_t(0));
  std::vector<mpi::Mode> modes{mpi::Mode::ddp, mpi::Mode::zero1};
  if (argc > 1) modes = {mpi::parse_mode(argv[1])};
  const int steps = argc > 2 ? std::stoi(argv[2]) : 5;
  for (mpi::Mode mode : modes) {
    std::vector<std::vector<double>> w, g;
    std::vector<Param> params;
    std::mt19937_64 rng(1);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      w.emplace_back(sizes[i]);
      g.emplace_back(sizes[i]);
      for (double& x : w.back()) x = double(rng() >> 11) * 0x1.0p-53;
      params.emplace_back("t" + std::to_string(i), w.back(), g.back());
    }
    mpi::DistributedOptions o;
    o.mode = mode;
    mpi::Distributed d(
        comm, params, [](std::vector<Param> p) { return make_optimizer("adam", std::move(p)); }, o);
    const std::uint64_t before = comm.sent_bytes();
    for (int s = 0; s < steps; ++s) {
      for (auto& t : g)
        for (double& x : t) x = double(rng() >> 11) * 0x1.0p-53 - 0.5;
      d.add();
      d.step();
    }
    const double sent = double(comm.sent_bytes() - before) / steps;
    const double grad = double(total * sizeof(double)), n = comm.size();
    const double ring = 2 * (n - 1) / n * grad;
    const double whole = 2.0 * grad;  // Adam's m and v in one process
    unsigned long long state = d.state_bytes(), max_state = 0;
    double max_sent = 0;
    MPI_Reduce(&state, &max_state, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, 0, comm.get());
    MPI_Reduce(&sent, &max_sent, 1, MPI_DOUBLE, MPI_MAX, 0, comm.get());
    if (comm.rank() == 0)
      std::printf("| %s | %d | %.0f | %.4f (1/N = %.4f) | %.0f | %.0f | %s |\n", mpi::to_string(mode), comm.size(),
                  double(max_state), double(max_state) / whole, 1 / n, max_sent, ring,
                  ring > 0 ? std::to_string(max_sent / ring).substr(0, 6).c_str() : "—");
  }
  MPI_Finalize();
  return 0;
}
