// descent: the command-line tool. One subcommand per file (commands.hpp).
#include <fmt/core.h>

#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "descent/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"descent: gradient-descent optimizers, exact to the tutorial, PyTorch and Keras"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Every subcommand's help");
  descent::cli::add_optimizers(app);
  descent::cli::add_explain(app);
  descent::cli::add_minimize(app);
  descent::cli::add_compare(app);
  descent::cli::add_train(app);
  descent::cli::add_bench(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "descent: error: {}\n", e.what());
    return descent::cli::bad_input;
  } catch (const descent::Error& e) {
    fmt::print(stderr, "descent: error: {}\n", e.what());
    return descent::cli::bad_input;
  } catch (const std::exception& e) {
    fmt::print(stderr, "descent: error: {}\n", e.what());
    return descent::cli::runtime_failure;
  }
  return 0;
}
