#pragma once
// The settings of a `descent compare` / `descent train` run, declared once (run_settings.cpp's
// table), and everything derived from that table: the flags, the defaults, summary.json's
// config, the repeat command, the checkpoint's fingerprint and lab::TrainOptions.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "descent/lab/model.hpp"
#include "descent/lab/train.hpp"

namespace descent::cli {

// One run's settings as values. The defaults are the table's (lab_defaults), not these.
struct LabArgs {
  std::string command;          // "compare" or "train"
  std::set<std::string> given;  // the flags the user typed (a resume restores the others)
  std::vector<std::string> optimizers;
  int epochs = 0, batch_size = 0, threads = 0;
  std::uint64_t seed = 0;
  std::string shuffle;  // numpy (the course's order) or descent (0.1.0's)
  std::optional<double> lr, beta, beta1, beta2, eps;
  std::vector<std::string> options;                               // --option [OPTIMIZER.]NAME=VALUE
  std::vector<std::pair<std::string, std::string>> option_flags;  // --<option-name> VALUE: name, text
  std::string schedule, schedule_unit;
  double clip_norm = 0, clip_norm_per_tensor = 0, clip_value = 0, ema = 0;
  bool swa = false;
  std::vector<std::string> no_decay;
  std::string nonfinite;                    // error, skip, zero or unchecked (Optimizer::set_nonfinite)
  std::string state_dtype, state_rounding;  // descent::StateOptions (docs/lowbit.md)
  std::uint64_t state_min_size = 0;
  std::string convention, loss, activation, initializer, dtype;  // dtype: f32, f64 or bf16 (weights)
  bool master_weights = false;                                   // with dtype bf16
  std::vector<int> hidden;
  std::string dataset, test, normalize;  // normalize auto: none for iris (the tutorial), standard otherwise
  std::optional<std::string> label;
  std::string out;
  bool no_plots = false, quiet = false;
  // descent train only
  std::string init_file, dump_params;
  std::string save, resume;  // checkpoints (docs/checkpoints.md)
  int save_every = 0;        // epochs; 0: only at the end
  // descent train --distributed (under mpirun; distributed/mpi.cpp)
  std::string distributed;        // ddp or zero1; empty: one process
  std::int64_t bucket_bytes = 0;  // 0: descent::mpi's default
  double timeout = 0;             // seconds a collective may take; 0: descent::mpi's default
};

enum Commands : unsigned { compare_only = 1, train_only = 2, both = 3 };
unsigned command_bit(const std::string& command);

// How the repeat command shows a setting: always, when it differs from the default, or never
// (outputs and checkpoints: where to write is the user's choice each time).
enum class Repeat { always, if_changed, never };

using Text = std::optional<std::string>;  // a setting as its flag's text; nullopt: unset

// One row of the table: one setting, everything about it.
struct Setting {
  std::string flag;   // "--batch-size"
  std::string names;  // CLI11's: the flag and its aliases ("--quiet,-q")
  std::string help;
  std::string type = "TEXT";  // what --help says it takes: INT, FLOAT, LIST, ...
  unsigned commands = both;
  Text default_text;        // nullopt: unset by default
  bool is_switch = false;   // takes no value (--swa): "true" when given
  bool repeatable = false;  // may be given more than once (--option): `assign` sees each
  // Reads the flag's text, checked as the user's flag is (one-line OptionError naming the
  // flag); nullopt sets it to unset.
  std::function<void(LabArgs&, const Text&)> assign;
  // Reads the setting back from its fingerprint text (default: assign).
  std::function<void(LabArgs&, const Text&)> restore;
  // The setting as flag text (nullopt: unset): the repeat command's and the fingerprint's.
  std::function<Text(const LabArgs&)> text;
  // The repeat command's words for it (default: "FLAG TEXT", or "FLAG" for a switch).
  std::function<std::string(const LabArgs&)> repeat_words;
  Repeat repeat = Repeat::if_changed;
  // Part of the resume fingerprint: a checkpoint records it, --resume restores it when the flag
  // is not given and refuses another value. `unset_text` is its text when unset; `legacy` its
  // value in a checkpoint written before it was recorded (nullopt: every checkpoint has it).
  bool fingerprint = false;
  std::string unset_text;
  Text legacy;
  std::string config_key;  // its key in summary.json's config ("" = not there)
  std::function<nlohmann::ordered_json(const LabArgs&)> json;
  // Where it goes: lab::TrainOptions, the model (the data loader reads LabArgs itself).
  std::function<void(const LabArgs&, lab::TrainOptions&)> to_train;
  std::function<void(const LabArgs&, lab::ModelSpec&)> to_model;
  // Registers the flag on a command (default: one value through `assign`).
  std::function<void(CLI::App*, LabArgs&, const Setting&)> add;

  // Builders for the table.
  Setting in(unsigned c) const;
  Setting kept(Text legacy_value = std::nullopt) const;  // fingerprint
  Setting config(std::string key) const;
  Setting shown(Repeat r) const;
  Setting train(std::function<void(const LabArgs&, lab::TrainOptions&)> f) const;
  Setting model(std::function<void(const LabArgs&, lab::ModelSpec&)> f) const;
};

// The table (run_settings.cpp).
const std::vector<Setting>& run_settings();

// ---- derived from the table ----------------------------------------------------------------

LabArgs lab_defaults(const std::string& command);
// Adds every flag of `a.command` to `cmd`; each flag typed is recorded in a.given.
void add_lab_flags(CLI::App* cmd, LabArgs& a);
// summary.json's config entries of the settings.
nlohmann::ordered_json settings_json(const LabArgs& a);
// The command line that repeats this run (values quoted for a POSIX shell).
std::string repeat_command(const LabArgs& a, int ranks);
// The fingerprint a checkpoint records (cli/config): "FLAG TEXT" lines, in table order.
std::string fingerprint(const LabArgs& a);
// What every run shares (the optimizer, its options and threads are set per run).
lab::TrainOptions train_options(const LabArgs& a);
// The model's settings (its inputs and classes come from the data).
lab::ModelSpec model_spec(const LabArgs& a);

}  // namespace descent::cli
