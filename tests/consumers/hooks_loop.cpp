// A training loop of your own with descent's optimizer and hooks (docs/hooks.md shows this file):
// a linear model y = w·x + b fitted by mean squared error on made-up data, with Adam, a
// warm-up + cosine schedule, gradient clipping, an EMA of the weights and a checkpoint every
// 5 epochs. The model, the data and the backward pass are the program's own.
#include <cmath>
#include <cstdio>
#include <descent/hooks.hpp>
#include <descent/registry.hpp>
#include <filesystem>
#include <random>
#include <vector>

int main() {
  // 160 samples of 4 features; y = true_w·x + 0.5, plus a little noise.
  const std::size_t n = 160, features = 4, batch = 16;
  const std::vector<float> true_w{1.5f, -2.0f, 0.25f, 3.0f};
  std::mt19937 gen(7);  // its output is fixed by the C++ standard
  auto uniform = [&] { return float(gen()) / 4294967296.0f * 2 - 1; };
  std::vector<float> x(n * features), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = 0.5f + 0.01f * uniform();
    for (std::size_t j = 0; j < features; ++j) y[i] += true_w[j] * (x[i * features + j] = uniform());
  }

  // The model: its weights and their gradients, in the program's own memory.
  std::vector<float> w(features, 0.0f), gw(features), b(1, 0.0f), gb(1);
  auto opt = descent::make_optimizer("adam", {descent::Param("w", w, gw), descent::Param("b", b, gb)},
                                     descent::Convention::pytorch, {{"lr", "0.1"}});

  // The hooks, in the order they run: clip, then the schedule, the average, the checkpoints.
  const auto path = std::filesystem::temp_directory_path() / "descent_hooks_loop.ckpt";
  descent::ClipGradNorm clip(1.0);
  descent::LrSchedule schedule("warmup:steps=20+cosine:t_max=180", descent::ScheduleUnit::step);
  descent::AverageWeights ema = descent::AverageWeights::ema(0.9);
  descent::SaveCheckpoints save([&](const descent::Checkpoint& c) { c.save(path); }, 5);
  descent::Hooks hooks(*opt, {&clip, &schedule, &ema, &save});

  // Mean squared error over rows [from, from + rows), its gradient into gw and gb.
  auto loss_and_gradient = [&](std::size_t from, std::size_t rows) {
    double loss = 0;
    std::fill(gw.begin(), gw.end(), 0.0f);
    gb[0] = 0;
    for (std::size_t i = from; i < from + rows; ++i) {
      float err = b[0] - y[i];
      for (std::size_t j = 0; j < features; ++j) err += w[j] * x[i * features + j];
      loss += double(err) * err / double(rows);
      for (std::size_t j = 0; j < features; ++j) gw[j] += 2 * err * x[i * features + j] / float(rows);
      gb[0] += 2 * err / float(rows);
    }
    return loss;
  };

  double first = 0, last = 0;
  hooks.begin();
  for (int epoch = 1; epoch <= 20 && !hooks.stopped(); ++epoch) {
    double sum = 0;
    for (std::size_t from = 0; from < n; from += batch) {
      const double loss = loss_and_gradient(from, batch);
      sum += loss;
      if (hooks.before_step(loss)) {
        opt->step();
        hooks.after_step();
      }
      if (hooks.stopped()) break;
    }
    hooks.end_epoch(sum / double(n / batch));
    // Evaluated with the EMA of the weights swapped in (and swapped back after).
    const double ema_loss = ema.evaluated([&] { return loss_and_gradient(0, n); });
    if (epoch == 1) first = ema_loss;
    last = ema_loss;
    if (epoch % 5 == 0)
      std::printf("epoch %2d  loss %.6f  ema loss %.6f  lr %.5f\n", epoch, sum / double(n / batch), ema_loss,
                  opt->lr());
  }
  hooks.end();

  // The last checkpoint holds the weights, Adam's state, the schedule's position and the EMA:
  // c.restore_training(*opt) and hooks.restore(c) continue the run where it was.
  const descent::Checkpoint c = descent::Checkpoint::load(path);
  std::filesystem::remove(path);
  const bool ok = last < first / 100 && c.has("schedule/names") && c.has("average") && std::abs(w[3] - 3.0f) < 0.05f;
  std::printf("hooks loop: ema loss %.6f -> %.6f, w = (%.3f, %.3f, %.3f, %.3f), b = %.3f (%s)\n", first, last, w[0],
              w[1], w[2], w[3], b[0], ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
