// descent optimizers: the registry, every optimizer with its options, each convention's
// defaults and its state slots, as a table for people or as the JSON the Python package and
// the browser read (descent::registry_json()).
#include <fmt/core.h>

#include <memory>
#include <string>

#include "commands.hpp"
#include "descent/registry.hpp"
#include "option_flags.hpp"

namespace descent::cli {
namespace {

std::string value_text(const OptionSpec& o, Convention c) {
  const double d = o.default_for(c);
  return o.type == OptionType::flag ? (d != 0 ? "true" : "false") : format_number(d);
}

// "m, v_max (when amsgrad)", each name between `quote`s; "none" without slots.
std::string slots_text(const OptimizerInfo& info, std::string_view quote) {
  std::string slots;
  for (const SlotSpec& s : info.slots)
    slots += fmt::format("{}{}{}{}{}", slots.empty() ? "" : ", ", quote, s.name, quote,
                         s.kept_when == "always" ? "" : fmt::format(" (when {})", s.kept_when));
  return slots.empty() ? "none" : slots;
}

void print_optimizer(const OptimizerInfo& info) {
  fmt::print("{} (rule {}): {}\n", info.name, info.rule, info.summary);
  fmt::print("  state: {}\n", slots_text(info, ""));
  fmt::print("  {:<28} {:<22} {:>10} {:>10} {:>10}\n", "option", "type", "seed", "pytorch", "keras");
  for (const OptionSpec& o : info.options)
    fmt::print("  {:<28} {:<22} {:>10} {:>10} {:>10}{}\n", "--" + kebab(std::string(o.name)), type_name(o),
               value_text(o, Convention::seed), value_text(o, Convention::pytorch), value_text(o, Convention::keras),
               o.name == info.beta ? "  (the tutorial's beta)" : "");
  fmt::print("\n");
}

std::string markdown_cell(std::string s) {
  for (std::size_t at = 0; (at = s.find('|', at)) != std::string::npos; at += 2) s.replace(at, 1, "\\|");
  return s;
}

// docs/options.md: the same table for the docs, checked against this output by a test.
void print_markdown() {
  fmt::print("# Every optimizer's options\n\n");
  fmt::print("Generated from the registry by `descent optimizers --format markdown` (a test keeps this file\n");
  fmt::print("equal to it). docs/optimizers.md has the formulas.\n");
  for (const OptimizerInfo& info : optimizers()) {
    fmt::print("\n## {}\n\n{} (rule `{}`).", info.name, info.summary, info.rule);
    fmt::print(" State: {}.\n\n", slots_text(info, "`"));
    fmt::print("| option | range | seed | pytorch | keras | meaning |\n|---|---|---|---|---|---|\n");
    for (const OptionSpec& o : info.options)
      fmt::print("| `{}`{} | {} | {} | {} | {} | {} |\n", o.name, o.name == info.beta ? " (β)" : "",
                 o.type == OptionType::flag ? "flag" : o.range.to_string(), value_text(o, Convention::seed),
                 value_text(o, Convention::pytorch), value_text(o, Convention::keras),
                 markdown_cell(std::string(o.doc)));
  }
}

}  // namespace

void add_optimizers(CLI::App& app) {
  auto format = std::make_shared<std::string>("table");
  CLI::App* cmd = app.add_subcommand("optimizers", "Every optimizer with its options, defaults and state");
  cmd->add_option("--format", *format, "table, json or markdown")
      ->check(CLI::IsMember({"table", "json", "markdown"}))
      ->capture_default_str();
  cmd->callback([format] {
    if (*format == "json") {
      fmt::print("{}\n", registry_json());
      return;
    }
    if (*format == "markdown") return print_markdown();
    for (const OptimizerInfo& info : optimizers()) print_optimizer(info);
  });
}

}  // namespace descent::cli
