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
#include "parse.hpp"

namespace descent::cli {

void add_train(CLI::App& app) {
  auto args = std::make_shared<LabArgs>();
  args->command = "train";
  args->optimizers = {"sgd"};
  CLI::App* cmd = app.add_subcommand("train", "Train one model with one optimizer");
  cmd->add_option_function<std::string>(
      "--optimizer", [args](const std::string& t) { args->optimizers = {parse_word("--optimizer", t)}; },
      "The optimizer (default sgd)");
  add_lab_flags(cmd, *args);
  add_word(cmd, "--init", args->init_file, "Start from these parameters (JSON: name -> nested arrays)");
  add_word(cmd, "--dump-params", args->dump_params, "Write the final parameters here (the --init format)");
  add_word(cmd, "--save", args->save,
           "Write a checkpoint here at the end, every --save-every epochs, and on Ctrl-C/SIGTERM");
  add_integer(cmd, "--save-every", args->save_every, 1, 100000000, "Checkpoint every N epochs (with --save)");
  add_word(cmd, "--resume", args->resume,
           "Continue the run of this checkpoint (same flags; --epochs counts from the run's start)");
  cmd->add_option("--distributed", args->distributed,
                  "Data-parallel training under mpirun: ddp (every rank steps everything) or zero1 "
                  "(each rank steps its share); --batch-size is the global batch (docs/distributed.md)")
      ->check(CLI::IsMember({"ddp", "zero1"}));
  add_integer(cmd, "--bucket-bytes", args->bucket_bytes, 1, std::int64_t(1) << 40,
              "With --distributed: gradient bytes reduced together (default 1 MiB)");
  cmd->add_option_function<std::string>(
      "--timeout", [args](const std::string& t) { args->timeout = parse_real("--timeout", t, 0.001, 1e9); },
      "With --distributed: seconds a collective may take before the job is aborted (default 60)");
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
