#pragma once
// What `descent compare` and `descent train` share: their settings (run_settings.hpp: the one
// declaration of them, with the flags), the data, the runs, and the outputs (metrics.csv,
// summary.json, loss/accuracy plots). compare.cpp and train.cpp only add their command.
#include "run_settings.hpp"

namespace descent::lab {
class Parallel;
}

namespace descent::cli {

// Validates everything (flags, data, output paths, --init) before the first step, then runs.
// With `parallel` (one of several processes of a --distributed run), only rank 0 prints and
// writes outputs.
void run_lab(const LabArgs& args, lab::Parallel* parallel = nullptr);
// descent train --distributed: run_lab on this process's MPI rank (distributed/mpi.cpp, or
// distributed/no_mpi.cpp's one-line error where descent was built without MPI).
void run_distributed(const LabArgs& args);

}  // namespace descent::cli
