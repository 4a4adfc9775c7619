// A program that uses descent::mpi as an outside project would, run as one MPI process: a
// zero1 Adam step over two tensors must move them as a plain Adam step does.
#include <cstdio>
#include <descent/mpi/distributed.hpp>
#include <descent/registry.hpp>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  std::vector<double> w{1, 2, 3}, g{0.5, -0.5, 0.25}, b{0.1}, gb{1}, w2 = w, b2 = b;
  auto adam = [](std::vector<descent::Param> p) { return descent::make_optimizer("adam", std::move(p)); };
  const descent::mpi::Comm comm(MPI_COMM_WORLD, 10);
  descent::mpi::DistributedOptions o;
  o.mode = descent::mpi::Mode::zero1;
  descent::mpi::Distributed d(comm, {descent::Param("w", w, g), descent::Param("b", b, gb)}, adam, o);
  d.add();
  d.step();
  auto plain = adam({descent::Param("w", w2, g), descent::Param("b", b2, gb)});
  plain->step();
  const bool ok = w == w2 && b == b2 && w[0] != 1;
  std::printf("mpi: zero1 adam on %d rank: w[0] %.6f (%s)\n", comm.size(), w[0], ok ? "ok" : "WRONG");
  MPI_Finalize();
  return ok ? 0 : 1;
}
