#pragma once
// Each subcommand lives in its own file and adds itself to the app through one function listed
// in main.cpp. A command's callback throws descent::Error (or CLI::Error) for bad input; main
// turns either into one line on stderr and exit code 2.
#include <CLI/CLI.hpp>
#include <exception>

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

// Ends the command with this exit code and nothing (more) printed.
struct Exit {
  int code;
};

// The one line on stderr for an error that ends the command ("descent: error: ..." naming the
// flag an OptionError is about); returns the exit code (bad_input or runtime_failure).
int print_error(const std::exception& e);

}  // namespace descent::cli
