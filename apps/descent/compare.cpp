// descent compare: the tutorial's experiment in one command. With no flags: iris shuffled
// with seed 116, the first 120 samples train and the last 30 test, dense 4->3 + softmax, MSE,
// batch 32, lr 0.1, 500 epochs, the seed convention, all five optimizers side by side.
#include <memory>

#include "commands.hpp"
#include "experiment.hpp"

namespace descent::cli {

void add_compare(CLI::App& app) {
  auto args = std::make_shared<LabArgs>(lab_defaults("compare"));
  CLI::App* cmd = app.add_subcommand("compare", "Train one model with several optimizers and compare their curves");
  add_lab_flags(cmd, *args);
  cmd->callback([args] { run_lab(*args); });
}

}  // namespace descent::cli
