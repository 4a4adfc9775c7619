// descent: the command-line tool. One subcommand per file (commands.hpp).
#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "descent/error.hpp"
#include "option_flags.hpp"

namespace descent::cli {

int print_error(const std::exception& e) {
  std::string text = e.what();
  int code = runtime_failure;
  if (const auto* o = dynamic_cast<const OptionError*>(&e)) {
    // The library names its option; the user typed the flag.
    if (!o->option().empty()) text = o->named("--" + kebab(o->option()));
    code = bad_input;
  } else if (dynamic_cast<const Error*>(&e) || dynamic_cast<const CLI::ParseError*>(&e)) {
    code = bad_input;
  }
  fmt::print(stderr, "descent: error: {}\n", text);
  std::fflush(stderr);
  return code;
}

}  // namespace descent::cli

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
  } catch (const std::exception& e) {  // CLI::ParseError, descent::OptionError, descent::Error, ...
    return descent::cli::print_error(e);
  }
  return 0;
}
