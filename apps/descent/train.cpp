// descent train: one optimizer, the same flags and outputs as compare, plus --init FILE to start
// from given parameters and --dump-params FILE to write them at the end, both as a JSON object
// mapping each parameter name (dense1.weight, dense1.bias, ...) to nested arrays in the shape
// inputs x outputs (the tutorial's y = x·W + b; PyTorch's Linear.weight is the transpose).
// --save/--save-every/--resume: checkpoints of the run (docs/checkpoints.md).
// --distributed ddp|zero1 (under mpirun): the same run on several MPI ranks (distributed/mpi.cpp,
// docs/distributed.md).
#include <memory>

#include "commands.hpp"
#include "descent/error.hpp"
#include "experiment.hpp"

namespace descent::cli {

void add_train(CLI::App& app) {
  auto args = std::make_shared<LabArgs>(lab_defaults("train"));
  CLI::App* cmd = app.add_subcommand("train", "Train one model with one optimizer");
  add_lab_flags(cmd, *args);
  cmd->callback([args] {
    if (args->distributed.empty()) {
      if (args->bucket_bytes > 0 || args->timeout > 0)
        throw OptionError(args->bucket_bytes > 0 ? "--bucket-bytes needs --distributed"
                                                 : "--timeout needs --distributed");
      run_lab(*args);
    } else {
      run_distributed(*args);
    }
  });
}

}  // namespace descent::cli
