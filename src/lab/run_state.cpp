#include "run_state.hpp"

#include <cstdio>
#include <cstring>

#include "descent/crc32c.hpp"

namespace descent::lab {

namespace {

template <class T>
std::uint32_t data_crc(const Data<T>& d) {
  std::uint32_t crc = crc32c(d.x.data(), std::size_t(d.x.size()) * sizeof(T));
  return crc32c(d.y.data(), d.y.size() * sizeof(int), crc);
}

// The first line where two configs differ, for the error message.
// 17 significant digits: two settings that print alike are the same number.
std::string number_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::string first_difference(const std::string& saved, const std::string& now) {
  std::size_t a = 0, b = 0;
  while (a < saved.size() || b < now.size()) {
    const std::size_t ea = std::min(saved.find('\n', a), saved.size());
    const std::size_t eb = std::min(now.find('\n', b), now.size());
    const std::string la = saved.substr(a, ea - a), lb = now.substr(b, eb - b);
    if (la != lb) return "the checkpoint has '" + la + "', this run '" + lb + "'";
    a = ea + 1;
    b = eb + 1;
  }
  return "";
}

}  // namespace

template <class T>
std::string run_config(const TrainOptions& o, const Data<T>& train, const Data<T>& test) {
  std::string s = "optimizer " + o.optimizer + "\nconvention " + to_string(o.convention) + "\nbatch_size " +
                  std::to_string(o.batch_size) + "\nnonfinite " + to_string(o.nonfinite) + "\ndtype " +
                  (sizeof(T) == 8  ? "f64"
                   : o.bf16_params ? "bf16"
                                   : "f32");
  for (const auto& kv : o.overrides) s += "\noption " + kv.first + "=" + kv.second;
  // The family's extras change every step after them, so a resume must keep them too.
  s += "\nschedule " + o.schedule + (o.schedule_per_step ? " per step" : " per epoch");
  s += "\nclip " + number_text(o.clip_norm) + " " + number_text(o.clip_norm_per_tensor) + " " +
       number_text(o.clip_value);
  s += "\naverage ema " + number_text(o.ema) + (o.swa ? " swa" : "");
  for (const auto& pattern : o.no_decay) s += "\nno_decay " + pattern;
  s += "\ntrain data " + std::to_string(train.x.rows()) + "x" + std::to_string(train.x.cols()) + " crc " +
       std::to_string(data_crc(train));
  s += "\ntest data " + std::to_string(test.x.rows()) + "x" + std::to_string(test.x.cols()) + " crc " +
       std::to_string(data_crc(test));
  return s;
}

Checkpoint run_checkpoint(const Optimizer& optimizer, const RunResult& r, const RunCursor& at,
                          const std::string& config) {
  Checkpoint c;
  c.put_training(optimizer);  // "model/<param>" and "optimizer"
  c.put_text("run/config", config);
  c.put_i64("run/cursor", {at.epoch, at.batch});
  c.put_f64("run/epoch_loss", {at.loss_sum});
  c.put_f64("run/seconds", {at.wall_seconds, at.cpu_seconds});
  std::vector<double> metrics;
  for (const EpochMetrics& m : r.epochs) metrics.insert(metrics.end(), {m.loss, m.test_accuracy, m.seconds, m.lr});
  c.put_f64("run/metrics", metrics);
  return c;
}

RunCursor restore_run(const Checkpoint& c, Optimizer& optimizer, RunResult& r, const std::string& config, int epochs,
                      std::int64_t steps_per_epoch) {
  auto fail = [&](const std::string& problem) { throw CheckpointError("checkpoint '" + c.source() + "': " + problem); };
  if (!c.has("run/cursor")) fail("not a checkpoint of a training run (no section 'run/cursor')");
  const std::string saved = c.text("run/config");
  if (saved != config) fail("written by another run: " + first_difference(saved, config));
  const auto cursor = c.i64("run/cursor");
  const auto loss = c.f64("run/epoch_loss");
  const auto seconds = c.f64("run/seconds");
  const auto metrics = c.f64("run/metrics");
  if (cursor.size() != 2 || loss.size() != 1 || seconds.size() != 2) fail("malformed run sections");
  RunCursor at{int(cursor[0]), cursor[1], loss[0], seconds[0], seconds[1]};
  if (cursor[0] < 0 || cursor[0] > 100000000 || at.batch < 0 || at.batch > steps_per_epoch)
    fail("the epoch/batch cursor is out of range");
  if (metrics.size() != 4 * std::size_t(at.epoch)) fail("the metrics history does not match the cursor");
  if (at.epoch > epochs || (at.epoch == epochs && at.batch > 0))
    fail("it is at epoch " + std::to_string(at.epoch) + (at.batch > 0 ? " (mid-epoch)" : "") +
         ", past this run's end (epochs = " + std::to_string(epochs) + ")");
  c.restore_training(optimizer);  // all or nothing; the last step that can fail
  r.epochs.clear();
  for (int e = 0; e < at.epoch; ++e) {
    const double* m = metrics.data() + 4 * e;
    r.epochs.push_back({e + 1, m[0], m[1], m[2], m[3]});
    if (m[1] > r.best_test_accuracy || e == 0) {
      r.best_test_accuracy = m[1];
      r.best_epoch = e + 1;
    }
  }
  return at;
}

template std::string run_config(const TrainOptions&, const Data<float>&, const Data<float>&);
template std::string run_config(const TrainOptions&, const Data<double>&, const Data<double>&);

}  // namespace descent::lab
