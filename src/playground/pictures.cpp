#include "descent/functions.hpp"

namespace descent {

// The convention's lr of 0.1 sends plain SGD off to infinity on the steep functions (its limit
// is 2 / the largest curvature: 0.002 on Rosenbrock, 0.08 on the ill-conditioned bowl); these
// rates keep every path on the picture.
const std::vector<PlaygroundPreset>& playground_presets() {
  static const std::vector<PlaygroundPreset> all{
      {"rosenbrock", 300, {{"sgd", 0.002}, {"sgdm", 0.01}, {"adagrad", 0.5}, {"rmsprop", 0.01}, {"adam", 0.05}}},
      {"ill-bowl", 100, {{"sgd", 0.075}, {"adagrad", 0.5}}},
      {"saddle", 60, {}},
      {"beale", 300, {{"sgd", 0.01}, {"sgdm", 0.01}, {"adagrad", 0.5}, {"rmsprop", 0.05}}},
      {"booth", 200, {{"sgd", 0.02}, {"adagrad", 2}}},
      {"himmelblau", 200, {{"sgd", 0.01}, {"sgdm", 0.02}}},
      {"styblinski-tang", 200, {{"sgd", 0.02}, {"sgdm", 0.02}}},
  };
  return all;
}

const PlaygroundPreset* playground_preset(std::string_view function) {
  for (const PlaygroundPreset& p : playground_presets())
    if (p.function == function) return &p;
  return nullptr;
}

}  // namespace descent
