// descent: the command-line tool. One subcommand per file (commands.hpp).
#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "descent/error.hpp"
#include "option_flags.hpp"

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
  app.set_version_flag("--version", std::string("descent ") + DESCENT_VERSION);
  try {
    // CLI11 says only "A subcommand is required" for a word that is not one: name the word.
    std::string names;
    bool known = false;
    for (const CLI::App* c : app.get_subcommands({})) {
      names += (names.empty() ? "" : ", ") + c->get_name();
      known = known || (argc > 1 && c->get_name() == argv[1]);
    }
    if (argc > 1 && argv[1][0] != '-' && !known) {
      fmt::print(stderr, "descent: error: '{}' is not a descent command (commands: {}; descent --help)\n", argv[1],
                 names);
      return descent::cli::bad_input;
    }
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const descent::cli::Exit& e) {
    return e.code;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "descent: error: {}\n", e.what());
    return descent::cli::bad_input;
  } catch (const descent::OptionError& e) {
    // The library names its option; the user typed the flag.
    const std::string text = e.option().empty() ? e.what() : e.named("--" + descent::cli::kebab(e.option()));
    fmt::print(stderr, "descent: error: {}\n", text);
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
