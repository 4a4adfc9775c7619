// A program that uses descent as an outside project would: the tutorial's Adam on one weight.
#include <cmath>
#include <cstdio>
#include <descent/descent.hpp>
#include <vector>

int main() {
  std::vector<double> w{1.0}, g{0.5};
  descent::Adam adam({descent::Param("w", w, g)}, descent::AdamOptions::preset(descent::Convention::seed));
  adam.step();
  // The first Adam step of the tutorial moves w by exactly lr·sign(g) = 0.1.
  const bool ok = std::abs(w[0] - 0.9) < 1e-12;
  std::printf("w after one Adam step: %.17g (%s)\n", w[0], ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
