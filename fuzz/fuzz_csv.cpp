// The training lab's CSV reader (descent train --dataset FILE) on arbitrary bytes: it must
// return a consistent data set or throw descent::Error, never crash, hang or leak. The first
// byte picks the --label (last column, first, second, a header name); the rest is the file.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "descent/error.hpp"
#include "descent/lab/dataset.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* const labels[] = {"-1", "1", "2", "label", "-2", "0", "species"};
  const std::string label = labels[data[0] % 7];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  descent::lab::Dataset d;
  try {
    d = descent::lab::parse_csv(text, "fuzz.csv", label);
  } catch (const descent::Error& e) {
    // A rejection names the source (file:line:column or the file).
    check(std::string(e.what()).find("fuzz.csv") != std::string::npos);
    return 0;
  }
  // Accepted: one label per sample, each a known class (at least two), every feature named
  // and finite, shapes that agree.
  check(std::size_t(d.x.rows()) == d.y.size() && d.x.rows() > 0);
  check(d.classes() >= 2);
  check(d.x.allFinite());
  check(std::size_t(d.x.cols()) == d.feature_names.size());
  for (int y : d.y) check(y >= 0 && y < d.classes());
  return 0;
}
