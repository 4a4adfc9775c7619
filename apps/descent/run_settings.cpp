// THE ONE DECLARATION of a lab run's settings (`descent compare`, `descent train`): the table
// below has one row per setting, with its flag, help, reader (parse.hpp's strict parsers via
// run_setting_kinds.hpp), default, flag text, commands, fingerprint and summary.json key, and
// where it goes (lab::TrainOptions, the model; the data loader reads LabArgs). The flags, the
// defaults, summary.json's config, the repeat command, the checkpoint fingerprint (what
// --resume checks and restores) and lab::TrainOptions are all derived from it
// (run_settings_uses.cpp): a setting added here is in all of them, and needs no copy elsewhere.
#include <limits>

#include "descent/lab/dataset.hpp"
#include "descent/options.hpp"
#include "descent/state.hpp"
#include "option_flags.hpp"
#include "run_setting_kinds.hpp"

namespace descent::cli {
namespace {

using namespace setting_kinds;
using json = nlohmann::ordered_json;
constexpr double huge = std::numeric_limits<double>::max();
using O = lab::TrainOptions;

// ---- the rows that are more than one value ---------------------------------------------------

Setting hidden_row() {
  Setting s = row("--hidden", "Hidden layer widths, e.g. 64,32 (default: none, one dense layer)");
  s.type = "LIST";
  s.assign = [](LabArgs& a, const Text& t) {
    a.hidden.clear();
    if (t)
      for (const std::string& w : parse_list("--hidden", *t))
        a.hidden.push_back(int(parse_integer("--hidden", w, 1, 1000000)));
  };
  s.text = [](const LabArgs& a) -> Text { return a.hidden.empty() ? std::nullopt : Text(join(a.hidden)); };
  s.json = [](const LabArgs& a) { return json(a.hidden); };
  return s;
}

// --option NAME=VALUE, repeatable; its fingerprint text is the list joined by commas.
Setting option_row() {
  Setting s = row("--option", "Any optimizer option: [OPTIMIZER.]NAME=VALUE, repeatable (descent explain lists them)");
  s.repeatable = true;
  s.assign = [](LabArgs& a, const Text& t) {
    if (!t) a.options.clear();
    if (t) a.options.push_back(parse_word("--option", *t));
  };
  s.restore = [](LabArgs& a, const Text& t) {
    a.options = t ? parse_list("--option", *t) : std::vector<std::string>{};
  };
  s.text = [](const LabArgs& a) -> Text { return a.options.empty() ? std::nullopt : Text(join(a.options)); };
  s.repeat_words = [](const LabArgs& a) {
    std::string w;
    for (const auto& o : a.options) w += (w.empty() ? "" : " ") + std::string("--option ") + o;
    return w;
  };
  s.json = [](const LabArgs& a) { return json(a.options); };
  return s;
}

// --weight-decay, --momentum-decay, ...: every registry option but the tutorial's own flags,
// each applying to every chosen optimizer that has it (option_flags.hpp). One setting: the
// list of (option, text) in the order typed, "name=text,..." in the fingerprint.
Setting option_flags_row() {
  Setting s = row("--option-flags", "");
  s.assign = [](LabArgs& a, const Text& t) {
    if (!t) a.option_flags.clear();
    if (!t) return;
    const auto eq = t->find('=');
    a.option_flags.emplace_back(t->substr(0, eq), t->substr(eq + 1));
  };
  s.restore = [](LabArgs& a, const Text& t) {
    a.option_flags.clear();
    if (!t) return;
    for (const std::string& item : parse_list("--option-flags", *t)) {
      const auto eq = item.find('=');
      if (eq == std::string::npos) throw Error("malformed option flag '" + item + "'");
      a.option_flags.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
  };
  s.text = [](const LabArgs& a) -> Text {
    std::string t;
    for (const auto& [name, value] : a.option_flags) t += (t.empty() ? "" : ",") + name + "=" + value;
    return t.empty() ? std::nullopt : Text(t);
  };
  s.repeat_words = [](const LabArgs& a) {
    std::string w;
    for (const auto& [name, value] : a.option_flags)
      w += fmt::format("{}--{} {}", w.empty() ? "" : " ", kebab(name), value);
    return w;
  };
  s.json = [](const LabArgs& a) {
    json j = json::object();
    for (const auto& [name, value] : a.option_flags) j[name] = value;
    return j;
  };
  // --ema here is the weight average; SGD's option of that name stays --option ema=true.
  s.add = [](CLI::App* cmd, LabArgs& a, const Setting& self) {
    add_option_flags(cmd,
                     [&a, key = self.flag](const std::string& name, const std::string& value) {
                       a.given.insert(key);
                       a.option_flags.emplace_back(name, parse_word("--" + kebab(name), value));
                     },
                     {"ema"});
  };
  return s;
}

Setting optimizers_row(bool train) {
  Setting s = train ? row("--optimizer", "The optimizer (default sgd)")
                    : row("--optimizers", "Optimizers to compare (default: all five)");
  s.commands = train ? train_only : compare_only;
  s.type = train ? "NAME" : "LIST";
  s.default_text = train ? "sgd" : "sgd,sgdm,adagrad,rmsprop,adam";
  s.assign = [train, flag = s.flag](LabArgs& a, const Text& t) {
    if (!t) a.optimizers.clear();
    if (t) a.optimizers = train ? std::vector{parse_word(flag, *t)} : parse_list(flag, *t);
  };
  s.text = [](const LabArgs& a) -> Text { return join(a.optimizers); };
  s.json = [](const LabArgs& a) { return json(a.optimizers); };
  return s.config("optimizers").shown(Repeat::always);
}

void check_normalize(const std::string& t) { one_of("--normalize", {"auto", "none", "standard"})(t); }
void check_dtype(const std::string& t) { one_of("--dtype", {"f32", "f64", "bf16"})(t); }

// How long, in what order, from which seed.
std::vector<Setting> run_rows() {
  return {
      optimizers_row(false),
      optimizers_row(true).kept(),
      integer("--epochs", &LabArgs::epochs, 1, 100000000, 500, "Epochs")
          .config("epochs")
          .shown(Repeat::always)
          .train([](const LabArgs& a, O& o) { o.epochs = a.epochs; }),
      integer("--batch-size", &LabArgs::batch_size, 1, 1000000, 32, "Samples per step")
          .kept()
          .config("batch_size")
          .shown(Repeat::always)
          .train([](const LabArgs& a, O& o) { o.batch_size = a.batch_size; }),
      integer("--threads", &LabArgs::threads, 1, 1024, 1,
              "compare: optimizers run side by side; train: the optimizer's threads")
          .config("threads"),
      whole("--seed", &LabArgs::seed, 116, "Seed of the shuffle and the initialization")
          .kept()
          .config("seed")
          .shown(Repeat::always)
          // Stochastic rounding draws from the run's seed, as the shuffle and the initialization do.
          .train([](const LabArgs& a, O& o) { o.state.seed = a.seed; }),
      choice("--shuffle", &LabArgs::shuffle, "numpy",
             "The data order: numpy (the course's np.random.seed(SEED); np.random.shuffle) or descent "
             "(descent 0.1.0's; default numpy, or the resumed run's)",
             lab::parse_shuffle)
          .kept("descent")  // 0.1.0's runs shuffled with descent's order
          .config("shuffle")
          .shown(Repeat::always),
  };
}

// The optimizers' options.
std::vector<Setting> optimizer_rows() {
  return {
      optional_real("--lr", &LabArgs::lr, "Learning rate (default: the convention's; seed: 0.1)").kept().config("lr"),
      optional_real("--beta,--momentum,--alpha,--rho", &LabArgs::beta,
                    "The tutorial's beta: SGDM's momentum, RMSProp's decay")
          .kept()
          .config("beta"),
      optional_real("--beta1", &LabArgs::beta1, "Adam's first-moment decay (and its kin's)").kept().config("beta1"),
      optional_real("--beta2", &LabArgs::beta2, "Adam's second-moment decay (and its kin's)").kept().config("beta2"),
      optional_real("--eps", &LabArgs::eps, "Epsilon, where the optimizer has one (the seed convention has none)")
          .kept()
          .config("eps"),
      option_row().kept().config("options"),
      option_flags_row().kept().config("option_flags"),
  };
}

// The training loop's extras (docs/lab.md).
std::vector<Setting> extras_rows() {
  return {
      word("--schedule", &LabArgs::schedule, std::nullopt,
           "Learning-rate schedule, e.g. cosine:t_max=500 or warmup:steps=5+cosine:t_max=495 (docs/lab.md)")
          .kept()
          .config("schedule")
          .train([](const LabArgs& a, O& o) { o.schedule = a.schedule; }),
      word("--schedule-unit", &LabArgs::schedule_unit, "epoch", "What the schedule counts: epoch or step",
           one_of("--schedule-unit", {"epoch", "step"}))
          .kept()
          .config("schedule_unit")
          .train([](const LabArgs& a, O& o) { o.schedule_per_step = a.schedule_unit == "step"; }),
      real("--clip-norm", &LabArgs::clip_norm, 0, huge, false,
           "Clip the global gradient norm to this (torch clip_grad_norm_)")
          .kept()
          .config("clip_norm")
          .train([](const LabArgs& a, O& o) { o.clip_norm = a.clip_norm; }),
      real("--clip-norm-per-tensor", &LabArgs::clip_norm_per_tensor, 0, huge, false,
           "Clip each parameter's gradient norm to this")
          .kept()
          .config("clip_norm_per_tensor")
          .train([](const LabArgs& a, O& o) { o.clip_norm_per_tensor = a.clip_norm_per_tensor; }),
      real("--clip-value", &LabArgs::clip_value, 0, huge, false, "Clamp every gradient element to [-X, X]")
          .kept()
          .config("clip_value")
          .train([](const LabArgs& a, O& o) { o.clip_value = a.clip_value; }),
      real("--ema", &LabArgs::ema, 0, 1, true,
           "Test with an exponential moving average of the weights of this decay, in [0, 1)")
          .kept()
          .config("ema")
          .train([](const LabArgs& a, O& o) { o.ema = a.ema; }),
      on_off("--swa", &LabArgs::swa, "Test with the running mean of the weights, updated after each epoch")
          .kept()
          .config("swa")
          .train([](const LabArgs& a, O& o) { o.swa = a.swa; }),
      list("--no-decay", &LabArgs::no_decay, std::nullopt,
           "Parameter name patterns kept from weight decay, e.g. '*.bias'")
          .kept()
          .config("no_decay")
          .train([](const LabArgs& a, O& o) { o.no_decay = a.no_decay; }),
      choice("--nonfinite", &LabArgs::nonfinite, "error",
             "A NaN or infinite gradient: error (stop, naming it), skip (the step), zero (those values) or "
             "unchecked (no check: they reach the weights)",
             parse_nonfinite)
          .kept()
          .config("nonfinite")
          .train([](const LabArgs& a, O& o) { o.nonfinite = parse_nonfinite(a.nonfinite); }),
  };
}

// How the optimizer stores its state (docs/lowbit.md).
std::vector<Setting> state_rows() {
  return {
      choice("--state-dtype", &LabArgs::state_dtype, "f32",
             "The optimizer state's storage: f32, bf16 or q8 (8-bit blocks; docs/lowbit.md)", parse_state_dtype)
          .kept("f32")  // checkpoints before low-bit state: f32
          .config("state_dtype")
          .train([](const LabArgs& a, O& o) { o.state.dtype = parse_state_dtype(a.state_dtype); }),
      choice("--state-rounding", &LabArgs::state_rounding, "nearest",
             "How bf16 and q8 state (and bf16 weights without --master-weights) round: nearest or stochastic (seeded "
             "by --seed)",
             parse_rounding)
          .kept("nearest")
          .config("state_rounding")
          .train([](const LabArgs& a, O& o) { o.state.rounding = parse_rounding(a.state_rounding); }),
      whole("--state-min-size", &LabArgs::state_min_size, 4096, "Tensors with fewer values keep f32 state")
          .kept("4096")
          .config("state_min_size")
          .train([](const LabArgs& a, O& o) { o.state.min_size = a.state_min_size; }),
  };
}

// The model.
std::vector<Setting> model_rows() {
  return {
      choice("--convention", &LabArgs::convention, "seed", "seed (the tutorial), pytorch or keras", parse_convention)
          .kept()
          .config("convention")
          .shown(Repeat::always)
          .train([](const LabArgs& a, O& o) { o.convention = parse_convention(a.convention); }),
      choice("--loss", &LabArgs::loss, "mse",
             "mse (the tutorial: softmax, then mean squared error) or ce (softmax cross-entropy)", lab::parse_loss)
          .kept()
          .config("loss")
          .shown(Repeat::always)
          .model([](const LabArgs& a, lab::ModelSpec& m) { m.loss = lab::parse_loss(a.loss); }),
      hidden_row().kept().config("hidden").model(
          [](const LabArgs& a, lab::ModelSpec& m) { m.hidden.assign(a.hidden.begin(), a.hidden.end()); }),
      choice("--activation", &LabArgs::activation, "relu", "Hidden activation: relu, tanh or sigmoid",
             lab::parse_activation)
          .kept()
          .config("activation")
          .model([](const LabArgs& a, lab::ModelSpec& m) { m.activation = lab::parse_activation(a.activation); }),
      choice("--initializer", &LabArgs::initializer, "truncated_normal",
             "truncated_normal (sigma 0.1, the tutorial), glorot or he", lab::parse_initializer)
          .kept()
          .config("initializer")
          .shown(Repeat::always),
      word("--dtype", &LabArgs::dtype, "f32",
           "f32 (as the tutorial), f64, or bf16 (weights and gradients stored in bfloat16, arithmetic in f32)",
           check_dtype)
          .kept()
          .config("dtype")
          .shown(Repeat::always)
          .train([](const LabArgs& a, O& o) { o.bf16_params = a.dtype == "bf16"; }),
      on_off("--master-weights", &LabArgs::master_weights,
             "With --dtype bf16: the optimizer steps a float32 copy of the weights")
          .kept("")  // checkpoints before bf16 weights: off
          .config("master_weights")
          .train([](const LabArgs& a, O& o) { o.state.master_weights = a.master_weights; }),
  };
}

// The data.
std::vector<Setting> data_rows() {
  return {
      word("--dataset", &LabArgs::dataset, "iris", "iris, digits or a CSV file")
          .kept()
          .config("dataset")
          .shown(Repeat::always),
      [] {
        Setting s = row("--label",
                        "CSV label column: a header name, a number from 1, or negative from the end "
                        "(default -1)");
        s.unset_text = "(not given)";
        s.assign = [](LabArgs& a, const Text& t) {
          a.label = t ? std::optional(parse_word("--label", *t)) : std::nullopt;
        };
        s.text = [](const LabArgs& a) { return a.label; };
        s.json = [](const LabArgs& a) { return a.label ? json(*a.label) : json(nullptr); };
        return s.kept().config("label");
      }(),
      word("--test", &LabArgs::test, "0.2", "Test set: a fraction of the shuffled data (the last ones) or a CSV file")
          .kept()
          .config("test")
          .shown(Repeat::always),
      word("--normalize", &LabArgs::normalize, "auto",
           "Feature scaling from the training set: none, standard, or auto (none for iris, as the tutorial; "
           "standard otherwise)",
           check_normalize)
          .kept()
          .config("normalize")
          .shown(Repeat::always),
  };
}

// Outputs, checkpoints and processes: where and how, not what is computed.
std::vector<Setting> output_rows() {
  return {
      word("--out", &LabArgs::out, std::nullopt, "Output directory (default out/COMMAND: out/compare, out/train)")
          .shown(Repeat::never),
      on_off("--no-plots", &LabArgs::no_plots, "Write the data and the .gp script but do not run gnuplot")
          .shown(Repeat::never),
      on_off("--quiet,-q", &LabArgs::quiet, "No progress bar, no table").shown(Repeat::never),
      word("--init", &LabArgs::init_file, std::nullopt, "Start from these parameters (JSON: name -> nested arrays)")
          .in(train_only)
          .kept()
          .config("init_file"),
      word("--dump-params", &LabArgs::dump_params, std::nullopt, "Write the final parameters here (the --init format)")
          .in(train_only)
          .shown(Repeat::never),
      word("--save", &LabArgs::save, std::nullopt,
           "Write a checkpoint here at the end, every --save-every epochs, and on Ctrl-C/SIGTERM")
          .in(train_only)
          .shown(Repeat::never),
      integer("--save-every", &LabArgs::save_every, 1, 100000000, std::nullopt,
              "Checkpoint every N epochs (with --save)")
          .in(train_only)
          .shown(Repeat::never),
      word("--resume", &LabArgs::resume, std::nullopt,
           "Continue the run of this checkpoint (its settings unless given; --epochs counts from the run's start)")
          .in(train_only)
          .shown(Repeat::never),
      word("--distributed", &LabArgs::distributed, std::nullopt,
           "Data-parallel training under mpirun: ddp (every rank steps everything) or zero1 (each rank steps its "
           "share); --batch-size is the global batch (docs/distributed.md)",
           one_of("--distributed", {"ddp", "zero1"}))
          .in(train_only)
          .config("distributed"),
      integer("--bucket-bytes", &LabArgs::bucket_bytes, 1, std::int64_t(1) << 40, std::nullopt,
              "With --distributed: gradient bytes reduced together (default 1 MiB)")
          .in(train_only)
          .config("bucket_bytes"),
      [] {
        Setting s = real("--timeout", &LabArgs::timeout, 0.001, 1e9, false,
                         "With --distributed: seconds a collective may take before the job is aborted (default 60)");
        s.default_text = std::nullopt;  // 0: descent::mpi's default
        return s.in(train_only).shown(Repeat::never);
      }(),
  };
}

// The table: the rows in the order --help lists them.
std::vector<Setting> table() {
  std::vector<Setting> rows;
  for (auto group : {run_rows, optimizer_rows, extras_rows, state_rows, model_rows, data_rows, output_rows})
    for (Setting& s : group()) rows.push_back(std::move(s));
  return rows;
}

}  // namespace

const std::vector<Setting>& run_settings() {
  static const std::vector<Setting> rows = table();
  return rows;
}

unsigned command_bit(const std::string& command) { return command == "train" ? train_only : compare_only; }

}  // namespace descent::cli
