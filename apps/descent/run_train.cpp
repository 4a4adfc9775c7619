// The runs of a lab run: each chosen optimizer with the options the flags ask for, trained by
// lab::train from the same initial parameters (compare: several side by side).
#include <fmt/core.h>

#include <algorithm>
#include <exception>
#include <thread>

#include "descent/error.hpp"
#include "descent/registry.hpp"
#include "option_flags.hpp"
#include "run_parts.hpp"

namespace descent::cli {
using json = nlohmann::ordered_json;

volatile std::sig_atomic_t stop_signal = 0;
void on_stop_signal(int sig) { stop_signal = sig; }

namespace {

std::string text(double x) { return fmt::format("{:.17g}", x); }

// Every option name an optimizer has, from an optimizer built over one dummy parameter.
std::vector<std::string> option_names(const std::string& optimizer) {
  static double w = 0, g = 0;
  auto probe = make_optimizer(optimizer, {Param("probe", std::span(&w, 1), std::span(&g, 1))});
  std::vector<std::string> names;
  for (const auto& v : probe->option_values()) names.emplace_back(v.name);
  return names;
}

}  // namespace

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
void Progress::epoch_done(const std::string& optimizer) {
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

void Progress::finish() {
  if (on_) fmt::print(stderr, "\r\033[K");
}

namespace {

// One optimizer's run from the seed's initialization (or --init's values).
template <class T>
lab::RunResult run_one(const LabArgs& a, const RunInputs& in, const lab::Data<T>& train, const lab::Data<T>& test,
                       const std::string& optimizer, int threads, Progress& progress, json* final_params) {
  lab::Model<T> model(in.spec, a.batch_size);
  lab::Rng rng(a.seed, lab::Stream::initialization);
  model.initialize(lab::parse_initializer(a.initializer), rng);
  for (const Param& p : model.params())
    if (auto it = in.init.find(p.name()); it != in.init.end())
      std::transform(it->second.begin(), it->second.end(), p.value<T>().begin(), [](double x) { return T(x); });
  lab::TrainOptions o = train_options(a);
  o.optimizer = optimizer;
  o.overrides = in.overrides.count(optimizer) ? in.overrides.at(optimizer) : Overrides{};
  o.threads = threads;
  o.resume = in.resume;
  o.parallel = in.parallel;
  if (!a.save.empty()) {
    o.save = [&a, cli_config = fingerprint(a)](const Checkpoint& run) {
      Checkpoint c = run;
      c.put_text("cli/config", cli_config);
      c.save(a.save);
    };
    o.save_every = a.save_every;
    o.stop = &stop_signal;
  }
  lab::RunResult r =
      lab::train(model, train, test, o, [&](const lab::EpochMetrics&) { progress.epoch_done(optimizer); });
  if (final_params) *final_params = dump<T>(model.params());
  return r;
}

// Runs `job(k)` for k in [0, n) on `workers` threads; the first error is rethrown.
void side_by_side(std::size_t n, std::size_t workers, const std::function<void(std::size_t)>& job) {
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(workers);
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w)
    pool.emplace_back([&, w] {
      try {
        for (std::size_t k; (k = next++) < n;) job(k);
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  for (auto& t : pool) t.join();
  for (auto& err : errors)
    if (err) std::rethrow_exception(err);
}

template <class T>
Outcome run_all_as(const LabArgs& a, const RunInputs& in, Progress& progress) {
  const lab::Data<T> train = lab::to_data<T>(in.data.train), test = lab::to_data<T>(in.data.test);
  Outcome out;
  out.runs.resize(a.optimizers.size());
  json* params = a.command == "train" ? &out.final_params : nullptr;
  // compare: one run per thread (each run is sequential, so the numbers cannot depend on it);
  // train: the optimizer's own threads.
  const std::size_t workers = std::min<std::size_t>(std::size_t(a.threads), out.runs.size());
  const int threads = a.command == "train" ? a.threads : 1;
  auto job = [&](std::size_t k) {
    out.runs[k] = run_one<T>(a, in, train, test, a.optimizers[k], threads, progress, params);
  };
  if (a.command == "train" || workers <= 1) {
    for (std::size_t k = 0; k < out.runs.size(); ++k) job(k);
  } else {
    side_by_side(out.runs.size(), workers, job);
  }
  return out;
}

}  // namespace

Outcome run_all(const LabArgs& a, const RunInputs& in, Progress& progress) {
  return a.dtype == "f64" ? run_all_as<double>(a, in, progress) : run_all_as<float>(a, in, progress);
}

}  // namespace descent::cli
