#include "experiment.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "descent/atomic_file.hpp"
#include "descent/checkpoint.hpp"
#include "descent/error.hpp"
#include "descent/lab/dataset.hpp"
#include "descent/lab/train.hpp"
#include "descent/registry.hpp"
#include "descent/schedule_spec.hpp"
#include "files.hpp"
#include "gnuplot.hpp"
#include "option_flags.hpp"
#include "parse.hpp"

namespace descent::cli {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Overrides = std::vector<std::pair<std::string, std::string>>;

namespace {

std::string text(double x) { return fmt::format("{:.17g}", x); }

// ---- optimizers and their options -------------------------------------------------------

// Every option name an optimizer has, from an optimizer built over one dummy parameter.
std::vector<std::string> option_names(const std::string& optimizer) {
  static double w = 0, g = 0;
  auto probe = make_optimizer(optimizer, {Param("probe", std::span(&w, 1), std::span(&g, 1))});
  std::vector<std::string> names;
  for (const auto& v : probe->option_values()) names.emplace_back(v.name);
  return names;
}

// Per optimizer, the option overrides the flags ask for. A flag that applies to none of the
// chosen optimizers is an error (it would silently do nothing).
std::map<std::string, Overrides> overrides_of(const LabArgs& a, Convention convention) {
  std::map<std::string, Overrides> out;
  auto applies = [&](const char* flag, const std::optional<double>& value, auto option_of) {
    if (!value) return;
    bool used = false;
    for (const auto& name : a.optimizers) {
      const std::string option = option_of(optimizer_info(name));
      if (option.empty()) continue;
      out[name].emplace_back(option, text(*value));
      used = true;
    }
    if (!used) throw OptionError(fmt::format("--{} applies to none of the chosen optimizers", flag));
  };
  auto has = [](const std::string& optimizer, const std::string& option) {
    const auto names = option_names(optimizer);
    return std::find(names.begin(), names.end(), option) != names.end();
  };
  applies("lr", a.lr, [](const OptimizerInfo&) { return std::string("lr"); });
  applies("beta", a.beta, [](const OptimizerInfo& i) { return std::string(i.beta); });
  applies("beta1", a.beta1, [](const OptimizerInfo& i) { return std::string(i.beta1); });
  applies("beta2", a.beta2, [](const OptimizerInfo& i) { return std::string(i.beta2); });
  applies("eps", a.eps, [&](const OptimizerInfo& i) { return has(std::string(i.name), "eps") ? "eps" : ""; });
  for (const auto& [option, value] : a.option_flags) {
    bool used = false;
    for (const auto& name : a.optimizers)
      if (has(name, option)) {
        out[name].emplace_back(option, value);
        used = true;
      }
    if (!used) throw OptionError(fmt::format("--{} applies to none of the chosen optimizers", kebab(option)));
  }
  for (const std::string& o : a.options) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw OptionError(fmt::format("--option '{}': expected [OPTIMIZER.]NAME=VALUE", o));
    std::string key = o.substr(0, eq), only;
    if (const auto dot = key.find('.'); dot != std::string::npos) {
      only = key.substr(0, dot);
      key = key.substr(dot + 1);
      optimizer_info(only);  // names the choices when unknown
    }
    bool used = false;
    for (const auto& name : a.optimizers)
      if ((only.empty() || only == name) && has(name, key)) {
        out[name].emplace_back(key, o.substr(eq + 1));
        used = true;
      }
    if (!used) throw OptionError(fmt::format("--option '{}': no chosen optimizer has an option '{}'", o, key));
  }
  // Build each once now: unknown options and out-of-range values fail before any training.
  for (const auto& name : a.optimizers) {
    static double w = 0, g = 0;
    make_optimizer(name, {Param("probe", std::span(&w, 1), std::span(&g, 1))}, convention, out[name]);
  }
  return out;
}

// ---- data ---------------------------------------------------------------------------------

struct Experiment {
  lab::Dataset train, test;
  std::string dataset;    // what --dataset named
  std::string normalize;  // none or standard (auto resolved)
  Eigen::Index samples = 0;
  std::vector<Eigen::Index> test_rows;  // with --test FRACTION: the test samples' rows in the data set
};

std::optional<double> fraction(const std::string& s) {
  double x = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return x;
}

Experiment load(const LabArgs& a) {
  Experiment e;
  e.dataset = a.dataset;
  const bool builtin = a.dataset == "iris" || a.dataset == "digits";
  const std::optional<double> test_fraction = fraction(a.test);
  if (test_fraction && !(*test_fraction > 0 && *test_fraction < 1))
    throw OptionError(fmt::format("--test {}: a fraction must be in (0, 1)", a.test));
  if (a.normalize != "auto" && a.normalize != "none" && a.normalize != "standard")
    throw OptionError(fmt::format("--normalize '{}' is unknown (expected auto, none or standard)", a.normalize));
  e.normalize = a.normalize != "auto" ? a.normalize : a.dataset == "iris" ? "none" : "standard";
  if (builtin && a.label) throw OptionError("--label applies to a CSV --dataset, not to " + a.dataset);
  if (builtin && !test_fraction) throw OptionError("--test FILE applies to a CSV --dataset, not to " + a.dataset);
  if (!builtin && !fs::is_regular_file(a.dataset))
    throw OptionError(fmt::format("--dataset '{}': not iris, digits or a readable file", a.dataset));
  if (!test_fraction && !fs::is_regular_file(a.test))
    throw OptionError(fmt::format("--test '{}': neither a fraction in (0, 1) nor a readable file", a.test));

  const lab::Shuffle order = lab::parse_shuffle(a.shuffle.value());
  if (!test_fraction) {  // a separate test file: only the training set is shuffled
    auto sets = lab::read_csv({a.dataset, a.test}, a.label.value_or("-1"));
    e.train = std::move(sets[0]);
    e.test = std::move(sets[1]);
    lab::shuffle(e.train, order, a.seed);
    e.samples = e.train.size() + e.test.size();
    if (e.normalize == "standard") lab::standardize(e.train, e.test);
    return e;
  }
  lab::Dataset all = a.dataset == "iris"     ? lab::iris()
                     : a.dataset == "digits" ? lab::digits()
                                             : std::move(lab::read_csv({a.dataset}, a.label.value_or("-1")).front());
  // The tutorial: shuffle everything with the seed, the last 30 of 150 (a fifth) test.
  const std::vector<Eigen::Index> rows = lab::shuffle(all, order, a.seed);
  e.samples = all.size();
  const auto test_size = Eigen::Index(std::llround(double(all.size()) * *test_fraction));
  if (test_size >= 1 && test_size < all.size()) e.test_rows.assign(rows.end() - test_size, rows.end());
  auto [train, test] = lab::split_tail(all, test_size);
  e.train = std::move(train);
  e.test = std::move(test);
  if (e.normalize == "standard") lab::standardize(e.train, e.test);
  return e;
}

// A value float32 cannot hold would reach the model as inf and come back as a NaN gradient:
// under --nonfinite error, name the cell instead (FILE:LINE:COLUMN for a CSV file). skip and
// zero are the user's choice to train through such values, so they see them as gradients.
void check_fits(const lab::Dataset& d, const LabArgs& a) {
  if (a.dtype != "f32" || a.nonfinite != "error") return;
  for (Eigen::Index i = 0; i < d.x.rows(); ++i)
    for (Eigen::Index j = 0; j < d.x.cols(); ++j) {
      const double x = d.x(i, j);
      if (std::abs(x) <= double(std::numeric_limits<float>::max())) continue;
      const std::string where =
          d.lines.empty() ? fmt::format("{}: sample {}, feature {}", d.name, i + 1, j + 1)
                          : fmt::format("{}:{}:{}", d.name, d.lines[std::size_t(i)], d.columns[std::size_t(j)]);
      throw Error(
          fmt::format("{}: {} does not fit in float32 (--dtype f32, largest {}): use --dtype f64 or "
                      "--normalize standard",
                      where, format_number(x), format_number(double(std::numeric_limits<float>::max()))));
    }
}

// ---- --init and --dump-params -------------------------------------------------------------

json nested(std::span<const double> values, const Shape& shape, std::size_t dim = 0) {
  json a = json::array();
  std::size_t stride = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
  for (std::size_t i = 0; i < shape[dim]; ++i) {
    if (dim + 1 == shape.size())
      a.push_back(values[i]);
    else
      a.push_back(nested(values.subspan(i * stride, stride), shape, dim + 1));
  }
  return a;
}

std::string shape_text(const Shape& s) {
  std::string t;
  for (auto d : s) t += (t.empty() ? "" : "x") + std::to_string(d);
  return t;
}

void flatten(const json& j, const Shape& shape, std::size_t dim, std::vector<double>& out, const std::string& where) {
  if (!j.is_array() || j.size() != shape[dim])
    throw Error(fmt::format("{}: expected shape {} (nested arrays, {} at depth {})", where, shape_text(shape),
                            shape[dim], dim + 1));
  for (const json& v : j) {
    if (dim + 1 < shape.size()) {
      flatten(v, shape, dim + 1, out, where);
    } else {
      if (!v.is_number()) throw Error(fmt::format("{}: '{}' is not a number", where, v.dump()));
      out.push_back(v.get<double>());
    }
  }
}

// The parameter values of an --init file, checked against the model's parameters.
std::map<std::string, std::vector<double>> read_init(const std::string& path, const std::vector<Param>& params) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("--init {}: cannot open", path));
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(fmt::format("--init {}: not JSON ({})", path, e.what()));
  }
  if (!j.is_object())
    throw Error(fmt::format("--init {}: expected an object of parameter name -> nested arrays", path));
  std::map<std::string, std::vector<double>> values;
  for (const Param& p : params) {
    if (!j.contains(p.name()))
      throw Error(fmt::format("--init {}: parameter '{}' ({}) is missing", path, p.name(), shape_text(p.shape())));
    flatten(j[p.name()], p.shape(), 0, values[p.name()], fmt::format("--init {}: parameter '{}'", path, p.name()));
  }
  for (const auto& [name, value] : j.items())
    if (!values.count(name)) throw Error(fmt::format("--init {}: the model has no parameter '{}'", path, name));
  return values;
}

template <class T>
json dump(const std::vector<Param>& params) {
  json j = json::object();
  for (const Param& p : params) {
    const auto v = p.value<T>();
    const std::vector<double> values(v.begin(), v.end());
    j[p.name()] = nested(values, p.shape());
  }
  return j;
}

// ---- checkpoints (train --save/--resume) ------------------------------------------------

// Set by SIGINT/SIGTERM during `train --save`; the loop finishes its step, checkpoints and stops.
volatile std::sig_atomic_t stop_signal = 0;
void on_stop_signal(int sig) { stop_signal = sig; }

// The flags a resumed run must repeat, as "--flag value" lines. Free to differ: --epochs,
// --threads (no effect on the numbers), --out, --quiet, --no-plots, --save, --save-every,
// --dump-params.
std::string resume_config(const LabArgs& a) {
  auto join = [](const auto& list) {
    std::string s;
    for (const auto& x : list) s += fmt::format("{}{}", s.empty() ? "" : ",", x);
    return s;
  };
  auto opt = [](const std::optional<double>& v) { return v ? fmt::format("{}", *v) : std::string("(not given)"); };
  std::string c;
  auto line = [&](const char* flag, const std::string& value) { c += fmt::format("--{} {}\n", flag, value); };
  line("optimizer", join(a.optimizers));
  line("dataset", a.dataset);
  line("test", a.test);
  line("label", a.label.value_or("(not given)"));
  line("normalize", a.normalize);
  line("batch-size", std::to_string(a.batch_size));
  line("seed", std::to_string(a.seed));
  line("shuffle", a.shuffle.value());
  line("convention", a.convention);
  line("loss", a.loss);
  line("hidden", join(a.hidden));
  line("activation", a.activation);
  line("initializer", a.initializer);
  line("dtype", a.dtype);
  line("lr", opt(a.lr));
  line("beta", opt(a.beta));
  line("beta1", opt(a.beta1));
  line("beta2", opt(a.beta2));
  line("eps", opt(a.eps));
  std::string flags;
  for (const auto& [name, text] : a.option_flags) flags += (flags.empty() ? "" : ",") + name + "=" + text;
  line("option-flags", flags);
  line("schedule", a.schedule + " per " + a.schedule_unit);
  line("clip", fmt::format("{} {} {}", a.clip_norm, a.clip_norm_per_tensor, a.clip_value));
  line("average", fmt::format("ema {}{}", a.ema, a.swa ? " swa" : ""));
  line("no-decay", join(a.no_decay));
  line("option", join(a.options));
  line("init", a.init_file);
  line("nonfinite", a.nonfinite);
  line("state-dtype", a.state_dtype);
  line("state-rounding", a.state_rounding);
  line("state-min-size", std::to_string(a.state_min_size));
  return c;
}

// A "--flag value" config as (flag, value) pairs, in order.
std::vector<std::pair<std::string, std::string>> config_lines(const std::string& config) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (std::size_t at = 0; at < config.size();) {
    const std::size_t end = std::min(config.find('\n', at), config.size());
    const std::string line = config.substr(at, end - at);
    const std::size_t space = line.find(' ');
    lines.emplace_back(line.substr(0, space), space == std::string::npos ? "" : line.substr(space + 1));
    at = end + 1;
  }
  return lines;
}

// Settings that checkpoints of descent 0.1.0 do not record, with the value every such run had.
const std::map<std::string, std::string>& unrecorded_in_0_1_0() {
  static const std::map<std::string, std::string> settings{{"--shuffle", "descent"},
                                                           {"--state-dtype", "f32"},
                                                           {"--state-rounding", "nearest"},
                                                           {"--state-min-size", "4096"}};
  return settings;
}

// Loads --resume and checks it was written by `descent train` with the same flags. A setting
// the user left unset where the run's default changed since (--shuffle) takes the run's value.
Checkpoint load_resume(LabArgs& a) {
  if (fs::is_directory(a.resume)) throw Error("--resume " + a.resume + ": is a directory, not a checkpoint file");
  Checkpoint c = Checkpoint::load(a.resume);
  if (!c.has("cli/config")) throw CheckpointError("checkpoint '" + a.resume + "': not written by descent train --save");
  std::map<std::string, std::string> saved;
  for (const auto& [flag, value] : config_lines(c.text("cli/config"))) saved[flag] = value;
  for (const auto& [flag, value] : unrecorded_in_0_1_0()) saved.try_emplace(flag, value);
  if (!a.shuffle) a.shuffle = saved["--shuffle"];
  const auto now = config_lines(resume_config(a));
  for (const auto& [flag, value] : now) {
    const auto was = saved.find(flag);
    if (was == saved.end()) throw CheckpointError("checkpoint '" + a.resume + "': its flags are damaged");
    if (was->second != value)
      throw CheckpointError(
          fmt::format("--resume {}: the run was started with '{} {}', not '{} {}' (only --epochs, "
                      "--threads and the output flags may change)",
                      a.resume, flag, was->second, flag, value));
  }
  if (saved.size() != now.size()) throw CheckpointError("checkpoint '" + a.resume + "': its flags are damaged");
  const auto cursor = c.i64("run/cursor");
  if (cursor.size() != 2) throw CheckpointError("checkpoint '" + a.resume + "': malformed run/cursor");
  if (cursor[0] > a.epochs || (cursor[0] == a.epochs && cursor[1] > 0))
    throw CheckpointError(fmt::format("--resume {}: the run is at epoch {}{}, past --epochs {}", a.resume, cursor[0],
                                      cursor[1] > 0 ? " (mid-epoch)" : "", a.epochs));
  const auto state = c.optimizer_state();
  fmt::print(stderr, "descent: resuming {} after epoch {}{} (step {})\n", a.resume, cursor[0],
             cursor[1] > 0 ? fmt::format(" and {} steps", cursor[1]) : "",
             state.groups.empty() ? 0 : state.groups[0].t);
  return c;
}

// ---- progress -----------------------------------------------------------------------------

class Progress {
 public:
  Progress(bool on, std::int64_t total) : on_(on), total_(total) {}
  void epoch_done(const std::string& optimizer) {
    const std::int64_t done = ++done_;
    if (!on_) return;
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (done != total_ && now - last_ < std::chrono::milliseconds(80)) return;
    last_ = now;
    constexpr int width = 30;
    const int filled = int(width * done / total_);
    fmt::print(stderr, "\r[{}{}] {:3}%  {:<8}", std::string(std::size_t(filled), '#'),
               std::string(std::size_t(width - filled), '.'), 100 * done / total_, optimizer);
    std::fflush(stderr);
  }
  void finish() {
    if (on_) fmt::print(stderr, "\r\033[K");
  }

 private:
  bool on_;
  std::int64_t total_;
  std::atomic<std::int64_t> done_{0};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
};

// ---- the runs -----------------------------------------------------------------------------

// What every run shares (the optimizer, its options and threads are set per run).
lab::TrainOptions train_options(const LabArgs& a) {
  lab::TrainOptions o;
  o.epochs = a.epochs;
  o.batch_size = a.batch_size;
  o.schedule = a.schedule;
  o.schedule_per_step = a.schedule_unit == "step";
  o.clip_norm = a.clip_norm;
  o.clip_norm_per_tensor = a.clip_norm_per_tensor;
  o.clip_value = a.clip_value;
  o.ema = a.ema;
  o.swa = a.swa;
  o.no_decay = a.no_decay;
  // Stochastic rounding draws from the run's seed, as the shuffle and the initialization do.
  o.state = {parse_state_dtype(a.state_dtype), parse_rounding(a.state_rounding), a.seed, a.state_min_size};
  return o;
}

struct Outcome {
  std::vector<lab::RunResult> runs;
  json final_params;  // train: the parameters after training
};

template <class T>
Outcome run_all(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec, Convention convention,
                const std::map<std::string, Overrides>& overrides,
                const std::map<std::string, std::vector<double>>& init, Progress& progress, const Checkpoint* resume,
                lab::Parallel* parallel) {
  const lab::Data<T> train = lab::to_data<T>(e.train), test = lab::to_data<T>(e.test);
  const lab::Initializer initializer = lab::parse_initializer(a.initializer);
  std::vector<lab::RunResult> runs(a.optimizers.size());
  json final_params;
  // Every run starts from the same parameters: the same seed's stream, or --init.
  auto run_one = [&](std::size_t k, int optimizer_threads) {
    lab::Model<T> model(spec, a.batch_size);
    lab::Rng rng(a.seed, lab::Stream::initialization);
    model.initialize(initializer, rng);
    for (const Param& p : model.params())
      if (auto it = init.find(p.name()); it != init.end())
        std::transform(it->second.begin(), it->second.end(), p.value<T>().begin(), [](double x) { return T(x); });
    lab::TrainOptions o = train_options(a);
    o.optimizer = a.optimizers[k];
    o.convention = convention;
    o.overrides = overrides.count(o.optimizer) ? overrides.at(o.optimizer) : Overrides{};
    o.threads = optimizer_threads;
    o.nonfinite = parse_nonfinite(a.nonfinite);
    o.resume = resume;
    o.parallel = parallel;
    if (!a.save.empty()) {
      o.save = [&a, cli_config = resume_config(a)](const Checkpoint& run) {
        Checkpoint c = run;
        c.put_text("cli/config", cli_config);
        c.save(a.save);
      };
      o.save_every = a.save_every;
      o.stop = &stop_signal;
    }
    runs[k] = lab::train(model, train, test, o, [&](const lab::EpochMetrics&) { progress.epoch_done(o.optimizer); });
    if (a.command == "train") final_params = dump<T>(model.params());
  };
  // compare: one run per thread (each run is sequential, so the numbers cannot depend on it);
  // train: the optimizer's own threads.
  const std::size_t workers = std::min<std::size_t>(std::size_t(a.threads), runs.size());
  if (a.command == "train" || workers <= 1) {
    for (std::size_t k = 0; k < runs.size(); ++k) run_one(k, a.command == "train" ? a.threads : 1);
  } else {
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(workers);
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < workers; ++w)
      pool.emplace_back([&, w] {
        try {
          for (std::size_t k; (k = next++) < runs.size();) run_one(k, 1);
        } catch (...) {
          errors[w] = std::current_exception();
        }
      });
    for (auto& t : pool) t.join();
    for (auto& err : errors)
      if (err) std::rethrow_exception(err);
  }
  return {std::move(runs), std::move(final_params)};
}

// ---- outputs ------------------------------------------------------------------------------

std::string metrics_csv(const std::vector<lab::RunResult>& runs) {
  std::string s = "optimizer,epoch,loss,test_accuracy,seconds,lr\n";
  for (const auto& r : runs)
    for (const auto& m : r.epochs)
      s += fmt::format("{},{},{},{:.6f},{:.6f},{}\n", r.optimizer, m.epoch, text(m.loss), m.test_accuracy, m.seconds,
                       text(m.lr));
  return s;
}

// The command line that repeats this run, every setting explicit.
std::string repeat_command(const LabArgs& a, int ranks) {
  auto join = [](const auto& list) {
    std::string s;
    for (const auto& x : list) s += fmt::format("{}{}", s.empty() ? "" : ",", x);
    return s;
  };
  std::string c = fmt::format("{}descent {} --{} {} --dataset {} --test {}",
                              a.distributed.empty() ? "" : fmt::format("mpirun -np {} ", ranks), a.command,
                              a.command == "train" ? "optimizer" : "optimizers", join(a.optimizers), a.dataset, a.test);
  if (a.label) c += " --label " + *a.label;
  c += " --normalize " + a.normalize;
  c += fmt::format(" --epochs {} --batch-size {} --seed {} --shuffle {} --convention {} --loss {}", a.epochs,
                   a.batch_size, a.seed, a.shuffle.value(), a.convention, a.loss);
  if (!a.hidden.empty()) c += fmt::format(" --hidden {} --activation {}", join(a.hidden), a.activation);
  c += fmt::format(" --initializer {} --dtype {}", a.initializer, a.dtype);
  auto flag = [&](const char* name, const std::optional<double>& v) {
    if (v) c += fmt::format(" --{} {}", name, text(*v));
  };
  flag("lr", a.lr);
  flag("beta", a.beta);
  flag("beta1", a.beta1);
  flag("beta2", a.beta2);
  flag("eps", a.eps);
  for (const auto& [name, value] : a.option_flags) c += fmt::format(" --{} {}", kebab(name), value);
  for (const auto& o : a.options) c += " --option " + o;
  if (!a.schedule.empty()) c += " --schedule " + a.schedule + " --schedule-unit " + a.schedule_unit;
  flag("clip-norm", a.clip_norm > 0 ? std::optional(a.clip_norm) : std::nullopt);
  flag("clip-norm-per-tensor", a.clip_norm_per_tensor > 0 ? std::optional(a.clip_norm_per_tensor) : std::nullopt);
  flag("clip-value", a.clip_value > 0 ? std::optional(a.clip_value) : std::nullopt);
  flag("ema", a.ema > 0 ? std::optional(a.ema) : std::nullopt);
  if (a.swa) c += " --swa";
  if (!a.no_decay.empty()) c += " --no-decay " + join(a.no_decay);
  if (!a.init_file.empty()) c += " --init " + a.init_file;
  if (a.nonfinite != "error") c += " --nonfinite " + a.nonfinite;
  if (a.state_dtype != "f32") c += " --state-dtype " + a.state_dtype;
  if (a.state_rounding != "nearest") c += " --state-rounding " + a.state_rounding;
  if (a.state_min_size != 4096) c += fmt::format(" --state-min-size {}", a.state_min_size);
  if (!a.distributed.empty()) c += fmt::format(" --distributed {}", a.distributed);
  return c;
}

json summary_json(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec,
                  const std::vector<lab::RunResult>& runs, const std::map<std::string, Overrides>& overrides,
                  int ranks) {
  json config;
  config["dataset"] = a.dataset;
  config["label"] = a.label ? json(*a.label) : json(nullptr);
  config["test"] = a.test;
  config["normalize"] = e.normalize;
  config["samples"] = e.samples;
  config["features"] = e.train.features();
  config["classes"] = e.train.class_names;
  config["train_samples"] = e.train.size();
  config["test_samples"] = e.test.size();
  config["test_rows"] = e.test_rows.empty() ? json(nullptr) : json(e.test_rows);
  config["seed"] = a.seed;
  config["shuffle"] = a.shuffle.value();
  config["model"] = spec.describe();
  config["hidden"] = a.hidden;
  config["activation"] = a.activation;
  config["loss"] = a.loss;
  config["initializer"] = a.initializer;
  config["init_file"] = a.init_file.empty() ? json(nullptr) : json(a.init_file);
  config["dtype"] = a.dtype;
  config["epochs"] = a.epochs;
  config["batch_size"] = a.batch_size;
  config["steps_per_epoch"] = (e.train.size() + a.batch_size - 1) / a.batch_size;
  config["convention"] = a.convention;
  config["optimizers"] = a.optimizers;
  json ov = json::object();
  for (const auto& [name, list] : overrides)
    for (const auto& [k, v] : list) ov[name][k] = v;
  config["overrides"] = ov;
  config["threads"] = a.threads;
  config["schedule"] = a.schedule.empty() ? json(nullptr) : json(a.schedule);
  config["schedule_unit"] = a.schedule_unit;
  config["clip_norm"] = a.clip_norm;
  config["clip_norm_per_tensor"] = a.clip_norm_per_tensor;
  config["clip_value"] = a.clip_value;
  config["ema"] = a.ema;
  config["swa"] = a.swa;
  config["no_decay"] = a.no_decay;
  config["nonfinite"] = a.nonfinite;
  config["state_dtype"] = a.state_dtype;
  config["state_rounding"] = a.state_rounding;
  config["state_min_size"] = a.state_min_size;
  config["distributed"] = a.distributed.empty() ? json(nullptr) : json(a.distributed);  // ddp, zero1
  config["ranks"] = ranks;
  json j;
  j["command"] = a.command;
  j["repeat"] = repeat_command(a, ranks);
  j["config"] = config;
  j["runs"] = json::array();
  for (const auto& r : runs) {
    json run;
    run["optimizer"] = r.optimizer;
    run["convention"] = a.convention;
    json opts = json::object();
    for (const auto& o : r.options) opts[o.name] = o.is_flag ? json(o.value != 0) : json(o.value);
    run["options"] = opts;
    run["final_loss"] = r.epochs.back().loss;
    run["final_test_accuracy"] = r.epochs.back().test_accuracy;
    run["best_test_accuracy"] = r.best_test_accuracy;
    run["best_epoch"] = r.best_epoch;
    run["steps"] = r.steps;
    run["train_seconds"] = r.train_seconds;
    run["cpu_seconds"] = r.cpu_seconds;
    run["seconds_per_step"] = r.train_seconds / double(r.steps);
    run["nonfinite"] = a.nonfinite;
    run["skipped_steps"] = r.skipped_steps;
    run["zeroed_values"] = r.zeroed_values;
    j["runs"].push_back(run);
  }
  return j;
}

// Where the weights of every run came from, for the table's header and the plots' titles.
std::string init_text(const LabArgs& a) {
  return a.init_file.empty() ? a.initializer + " init" : "weights from " + a.init_file;
}

std::vector<Plot> plots_of(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec,
                           const std::vector<lab::RunResult>& runs) {
  const std::string about = fmt::format("{}, {}, {} loss, {}, batch {}, {} convention", e.dataset, spec.describe(),
                                        a.loss, init_text(a), a.batch_size, a.convention);
  // A loss of exactly 0 (a float32 softmax saturates) has no place on a log scale: say so.
  bool zero = false;
  for (const auto& r : runs)
    for (const auto& m : r.epochs) zero = zero || m.loss <= 0;
  Plot loss, accuracy;
  loss.name = "loss";
  loss.title = "Training loss per epoch\n" + about;
  loss.xlabel = accuracy.xlabel = "epoch";
  loss.ylabel = zero ? "mean training loss (log scale; epochs at 0 not drawn)" : "mean training loss (log scale)";
  loss.log_y = true;
  accuracy.name = "accuracy";
  accuracy.title = "Test accuracy per epoch\n" + about;
  accuracy.ylabel = "test accuracy";
  accuracy.yrange = "[*:1.02]";  // the lowest accuracy sets the bottom: curves near 1 (digits) stay apart
  std::vector<std::string> names;
  for (const auto& r : runs) names.push_back(r.optimizer);
  const auto styles = series_styles(names);
  // About ten markers per curve, each optimizer's at other epochs than the others'.
  const int every = std::max(1, a.epochs / 10);
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const std::string& name = runs[k].optimizer;
    const int offset = int((k + 1) * std::size_t(every) / (runs.size() + 1));
    loss.lines.push_back(
        {name, "metrics.csv", where_equals(2, 3, 1, name), styles[k], where_equals(2, 3, 1, name, every, offset)});
    accuracy.lines.push_back(
        {name, "metrics.csv", where_equals(2, 4, 1, name), styles[k], where_equals(2, 4, 1, name, every, offset)});
  }
  return {loss, accuracy};
}

void print_table(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec,
                 const std::vector<lab::RunResult>& runs) {
  fmt::print("{}: {} samples, {} features, {} classes; {} train, {} test; seed {} ({} shuffle); features {}\n",
             e.dataset, e.samples, e.train.features(), e.train.classes(), e.train.size(), e.test.size(), a.seed,
             a.shuffle.value(), e.normalize == "none" ? "as given" : "standardized");
  fmt::print("model: {}, {} loss, {}, {}; batch {} ({} steps/epoch), {} epochs, {} convention\n\n", spec.describe(),
             a.loss, init_text(a), a.dtype, a.batch_size, (e.train.size() + a.batch_size - 1) / a.batch_size, a.epochs,
             a.convention);
  fmt::print("{:<10} {:>7} {:>12} {:>9} {:>9} {:>11} {:>10} {:>9} {:>9}\n", "optimizer", "lr", "final loss", "test acc",
             "best acc", "best epoch", "time (ms)", "cpu (ms)", "us/step");
  for (const auto& r : runs) {
    double lr = 0;  // the conventions differ in their default rates: show the one used
    for (const auto& o : r.options)
      if (o.name == "lr") lr = o.value;
    fmt::print("{:<10} {:>7.3g} {:>12.6g} {:>9.4f} {:>9.4f} {:>11} {:>10.2f} {:>9.2f} {:>9.3f}\n", r.optimizer, lr,
               r.epochs.back().loss, r.epochs.back().test_accuracy, r.best_test_accuracy, r.best_epoch,
               r.train_seconds * 1e3, r.cpu_seconds * 1e3, r.train_seconds * 1e6 / double(r.steps));
  }
  fmt::print(
      "(time: wall clock of the training loop with its per-epoch test, as the tutorial times it; cpu: the "
      "same in CPU time)\n");
}

}  // namespace

namespace {

constexpr double huge = std::numeric_limits<double>::max();

void add_run_length_flags(CLI::App* cmd, LabArgs& a) {
  add_integer(cmd, "--epochs", a.epochs, 1, 100000000, "Epochs");
  add_integer(cmd, "--batch-size", a.batch_size, 1, 1000000, "Samples per step");
  add_integer(cmd, "--threads", a.threads, 1, 1024,
              "compare: optimizers run side by side; train: the optimizer's threads");
  add_unsigned(cmd, "--seed", a.seed, std::numeric_limits<std::uint64_t>::max(),
               "Seed of the shuffle and the initialization");
  cmd->add_option_function<std::string>(
         "--shuffle", [&a](const std::string& t) { a.shuffle = t; },
         "The data order: numpy (the course's np.random.seed(SEED); np.random.shuffle) or descent "
         "(descent 0.1.0's; default numpy, or the resumed run's)")
      ->check(CLI::IsMember({"numpy", "descent"}));
}

void add_optimizer_flags(CLI::App* cmd, LabArgs& a) {
  cmd->add_option_function<std::string>(
      "--lr", [&a](const std::string& t) { a.lr = parse_real("--lr", t, 0, huge); },
      "Learning rate (default: the convention's; seed: 0.1)");
  add_tutorial_flags(cmd, a.beta, a.beta1, a.beta2, a.eps);
  cmd->add_option_function<std::string>(
      "--option", [&a](const std::string& t) { a.options.push_back(parse_word("--option", t)); },
      "Any optimizer option: [OPTIMIZER.]NAME=VALUE (descent explain lists them)");
  // --weight-decay, --momentum-decay, ...: each applies to every chosen optimizer that has it.
  // --ema here is the weight average; SGD's option of that name stays --option ema=true.
  add_option_flags(cmd,
                   [&a](const std::string& name, const std::string& value) {
                     a.option_flags.emplace_back(name, parse_word("--" + kebab(name), value));
                   },
                   {"ema"});
}

// A choice read by the library's parser, its error prefixed with the flag.
template <class Parse>
void add_choice(CLI::App* cmd, const std::string& flag, std::string& target, Parse parse, const std::string& doc) {
  cmd->add_option_function<std::string>(
         flag,
         [&target, flag, parse](const std::string& t) {
           try {
             parse(t);
           } catch (const OptionError& e) {
             throw OptionError(flag + ": " + e.what());
           }
           target = t;
         },
         doc)
      ->default_str(target);
}

void add_state_flags(CLI::App* cmd, LabArgs& a) {
  add_choice(cmd, "--state-dtype", a.state_dtype, parse_state_dtype,
             "The optimizer state's storage: f32, bf16 or q8 (8-bit blocks; docs/lowbit.md)");
  add_choice(cmd, "--state-rounding", a.state_rounding, parse_rounding,
             "How bf16 state rounds: nearest or stochastic (seeded by --seed)");
  add_unsigned(cmd, "--state-min-size", a.state_min_size, std::numeric_limits<std::uint64_t>::max(),
               "Tensors with fewer values keep f32 state");
}

void add_extras_flags(CLI::App* cmd, LabArgs& a) {
  add_word(cmd, "--schedule", a.schedule,
           "Learning-rate schedule, e.g. cosine:t_max=500 or warmup:steps=5+cosine:t_max=495 (docs/lab.md)");
  cmd->add_option("--schedule-unit", a.schedule_unit, "What the schedule counts: epoch or step")
      ->capture_default_str()
      ->check(CLI::IsMember({"epoch", "step"}));
  add_real(cmd, "--clip-norm", a.clip_norm, 0, huge, "Clip the global gradient norm to this (torch clip_grad_norm_)");
  add_real(cmd, "--clip-norm-per-tensor", a.clip_norm_per_tensor, 0, huge,
           "Clip each parameter's gradient norm to this");
  add_real(cmd, "--clip-value", a.clip_value, 0, huge, "Clamp every gradient element to [-X, X]");
  add_real(cmd, "--ema", a.ema, 0, 1, "Test with an exponential moving average of the weights of this decay, in [0, 1)",
           true);
  cmd->add_flag("--swa", a.swa, "Test with the running mean of the weights, updated after each epoch");
  add_list(cmd, "--no-decay", a.no_decay, "Parameter name patterns kept from weight decay, e.g. '*.bias'");
  cmd->add_option("--nonfinite", a.nonfinite,
                  "A NaN or infinite gradient: error (stop, naming it), skip (the step), zero (those values) "
                  "or unchecked (no check: they reach the weights)")
      ->capture_default_str();
  add_state_flags(cmd, a);
}

void add_model_flags(CLI::App* cmd, LabArgs& a) {
  cmd->add_option("--convention", a.convention, "seed (the tutorial), pytorch or keras")->capture_default_str();
  cmd->add_option("--loss", a.loss,
                  "mse (the tutorial: softmax, then mean squared error) or ce (softmax cross-entropy)")
      ->capture_default_str();
  cmd->add_option_function<std::string>(
      "--hidden",
      [&a](const std::string& t) {
        a.hidden.clear();
        for (const std::string& w : parse_list("--hidden", t))
          a.hidden.push_back(int(parse_integer("--hidden", w, 1, 1000000)));
      },
      "Hidden layer widths, e.g. 64,32 (default: none, one dense layer)");
  cmd->add_option("--activation", a.activation, "Hidden activation: relu, tanh or sigmoid")->capture_default_str();
  cmd->add_option("--initializer", a.initializer, "truncated_normal (sigma 0.1, the tutorial), glorot or he")
      ->capture_default_str();
  cmd->add_option("--dtype", a.dtype, "f32 (as the tutorial) or f64")->capture_default_str();
}

void add_data_flags(CLI::App* cmd, LabArgs& a) {
  add_word(cmd, "--dataset", a.dataset, "iris, digits or a CSV file")->default_str(a.dataset);
  cmd->add_option_function<std::string>(
      "--label", [&a](const std::string& t) { a.label = parse_word("--label", t); },
      "CSV label column: a header name, a number from 1, or negative from the end (default -1)");
  add_word(cmd, "--test", a.test, "Test set: a fraction of the shuffled data (the last ones) or a CSV file")
      ->default_str(a.test);
  cmd->add_option("--normalize", a.normalize,
                  "Feature scaling from the training set: none, standard, or auto (none for iris, as the "
                  "tutorial; standard otherwise)")
      ->capture_default_str();
}

}  // namespace

void add_lab_flags(CLI::App* cmd, LabArgs& a) {
  add_run_length_flags(cmd, a);
  add_optimizer_flags(cmd, a);
  add_extras_flags(cmd, a);
  add_model_flags(cmd, a);
  add_data_flags(cmd, a);
  add_word(cmd, "--out", a.out, "Output directory (default out/" + a.command + ")");
  cmd->add_flag("--no-plots", a.no_plots, "Write the data and the .gp script but do not run gnuplot");
  cmd->add_flag("--quiet,-q", a.quiet, "No progress bar, no table");
}

namespace {

void prepare_outputs(const LabArgs& a) {
  std::vector<fs::path> created;
  auto add = [&](const fs::path& dir, const char* flag) {
    const auto made = prepare_output_dir(dir, flag);
    created.insert(created.begin(), made.begin(), made.end());  // the later, the deeper: first out
  };
  try {
    add(a.out, "--out");
    for (const auto& [file, flag] : {std::pair{a.dump_params, "--dump-params"}, {a.save, "--save"}}) {
      if (file.empty()) continue;
      const fs::path parent = fs::path(file).parent_path();
      add(parent.empty() ? fs::path(".") : parent, flag);
      if (fs::is_directory(file)) throw Error(fmt::format("{} {}: is a directory", flag, file));
    }
  } catch (...) {
    remove_created(created);
    throw;
  }
}

}  // namespace

namespace {

void write_outputs(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec, const Outcome& o,
                   const std::map<std::string, Overrides>& overrides, int ranks) {
  const fs::path out(a.out);
  write_atomically(out / "metrics.csv", metrics_csv(o.runs));
  write_atomically(out / "summary.json", summary_json(a, e, spec, o.runs, overrides, ranks).dump(2) + "\n");
  if (!a.dump_params.empty()) {  // one parameter per line, each as compact nested arrays
    std::string text = "{";
    for (const auto& [name, value] : o.final_params.items())
      text += fmt::format("{}{}: {}", text.size() > 1 ? ",\n " : "\n ", json(name).dump(), value.dump());
    write_atomically(a.dump_params, text + "\n}\n");
  }
  const bool plotted = render_plots(out, "plots.gp", plots_of(a, e, spec, o.runs), !a.no_plots);
  if (!a.quiet) {
    print_table(a, e, spec, o.runs);
    for (const auto& r : o.runs) {
      if (r.skipped_steps > 0)
        fmt::print("{}: {} steps skipped for non-finite gradients (--nonfinite skip)\n", r.optimizer, r.skipped_steps);
      if (r.zeroed_values > 0)
        fmt::print("{}: {} non-finite gradient values zeroed (--nonfinite zero)\n", r.optimizer, r.zeroed_values);
    }
    fmt::print("\nwrote {}/: metrics.csv, summary.json{}{}\n", out.string(),
               plotted ? ", loss.png, accuracy.png (and .svg), plots.gp" : ", plots.gp (no plots drawn)",
               a.dump_params.empty() ? "" : ", and " + a.dump_params);
  }
}

}  // namespace

void run_lab(const LabArgs& in, lab::Parallel* parallel) {
  LabArgs a = in;
  if (a.out.empty()) a.out = "out/" + a.command;
  // 1. Flags.
  const Convention convention = parse_convention(a.convention);
  if (a.optimizers.empty()) throw OptionError("--optimizers: no optimizer given");
  for (const auto& name : a.optimizers) optimizer_info(name);
  for (std::size_t i = 0; i < a.optimizers.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (a.optimizers[i] == a.optimizers[j])
        throw OptionError("--optimizers: '" + a.optimizers[i] + "' appears twice");
  lab::ModelSpec spec;
  spec.loss = lab::parse_loss(a.loss);
  spec.activation = lab::parse_activation(a.activation);
  lab::parse_initializer(a.initializer);
  if (a.dtype != "f32" && a.dtype != "f64")
    throw OptionError("--dtype '" + a.dtype + "' is unknown (expected f32 or f64)");
  try {
    parse_nonfinite(a.nonfinite);
  } catch (const OptionError& e) {
    throw OptionError(std::string("--nonfinite: ") + e.what());
  }
  const auto overrides = overrides_of(a, convention);
  if (a.save_every > 0 && a.save.empty()) throw OptionError("--save-every needs --save");
  if (a.ema > 0 && a.swa) throw OptionError("--ema and --swa exclude each other");
  if (a.state_rounding == "stochastic" && a.state_dtype != "bf16")
    throw OptionError("--state-rounding stochastic applies to --state-dtype bf16 only, not " + a.state_dtype);
  if (!a.schedule.empty() && a.schedule_unit == "step" && parse_schedule(a.schedule).uses_metric)
    throw OptionError("--schedule '" + a.schedule +
                      "': plateau is fed the epoch loss, so it needs --schedule-unit epoch");
  lab::check_extras(train_options(a));

  std::optional<Checkpoint> resume;
  if (!a.resume.empty()) resume = load_resume(a);  // first: it may settle --shuffle
  if (!a.shuffle) a.shuffle = "numpy";
  if (*a.shuffle == "numpy" && a.seed > 0xFFFFFFFFu)
    throw OptionError(
        fmt::format("--seed {} is out of range [0, 4294967295] for --shuffle numpy (NumPy's seeds are "
                    "32-bit; --shuffle descent takes any)",
                    a.seed));

  // 2. Data and model.
  const Experiment e = load(a);
  check_fits(e.train, a);
  check_fits(e.test, a);
  for (const lab::Dataset* d : {&e.train, &e.test})
    if (!d->header_assumed.empty() && !a.quiet && (!parallel || parallel->rank() == 0))
      fmt::print(stderr, "descent: {}: {}\n", d->name, d->header_assumed);
  spec.inputs = e.train.features();
  spec.classes = e.train.classes();
  spec.hidden.assign(a.hidden.begin(), a.hidden.end());
  std::map<std::string, std::vector<double>> init;
  if (!a.init_file.empty()) {
    lab::Model<double> shape_only(spec, 1);
    init = read_init(a.init_file, shape_only.params());
  }

  // 3. Outputs: everything must be writable before the first step; a refused run leaves none
  // of the directories it made.
  const bool writer = !parallel || parallel->rank() == 0;
  if (writer) prepare_outputs(a);
  if (!a.save.empty()) {
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
  }

  // 4. Train.
  const bool show = writer && !a.quiet && ::isatty(STDERR_FILENO);
  Progress progress(show, std::int64_t(a.epochs) * std::int64_t(a.optimizers.size()));
  const Checkpoint* from = resume ? &*resume : nullptr;
  Outcome o = a.dtype == "f32" ? run_all<float>(a, e, spec, convention, overrides, init, progress, from, parallel)
                               : run_all<double>(a, e, spec, convention, overrides, init, progress, from, parallel);
  progress.finish();
  if (o.runs.size() == 1 && o.runs[0].stopped) {  // no other output: it would look complete
    const int sig = stop_signal;
    const auto& done = o.runs[0].epochs;
    fmt::print(stderr,
               "descent: {}: stopped after step {} (epoch {}); checkpoint written to {} (continue with --resume {})\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", o.runs[0].steps, done.size() + 1, a.save, a.save);
    std::fflush(stdout);
    std::exit(128 + sig);
  }

  // 5. Outputs, each written whole (one writer of a distributed run).
  if (!parallel || parallel->rank() == 0) write_outputs(a, e, spec, o, overrides, parallel ? parallel->ranks() : 1);
}

}  // namespace descent::cli
