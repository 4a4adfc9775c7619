#pragma once
// Each subcommand lives in its own file and adds itself to the app through one function listed
// in main.cpp. A command's callback throws descent::Error (or CLI::Error) for bad input; main
// turns either into one line on stderr and exit code 2.
#include <CLI/CLI.hpp>

namespace descent::cli {

void add_explain(CLI::App& app);
void add_minimize(CLI::App& app);
void add_compare(CLI::App& app);
void add_train(CLI::App& app);
void add_bench(CLI::App& app);
void add_optimizers(CLI::App& app);

// Exit code for failures that are not the user's input (I/O, a crashed helper program).
constexpr int runtime_failure = 1;
// Exit code for bad input: flags, values, data files.
constexpr int bad_input = 2;

// Ends the command with this exit code and nothing printed (another MPI rank said why).
struct Exit {
  int code;
};

}  // namespace descent::cli
