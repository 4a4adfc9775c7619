// The checkpoint reader on arbitrary bytes: it must reject or accept, never crash, hang or
// leak; an accepted file must serialize back to the same bytes (the format is canonical), and
// loading it into an optimizer must succeed or throw with the optimizer unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "descent/checkpoint.hpp"
#include "descent/descent.hpp"

using namespace descent;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <class F>
void may_reject(F f) {
  try {
    f();
  } catch (const Error&) {  // CheckpointError, OptionError: the contract for bad input
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Checkpoint c;
  try {
    c = Checkpoint::parse(bytes, "fuzz");
  } catch (const CheckpointError&) {
    return 0;
  }
  // Canonical: the same bytes come back, but for the checksums (not verified when fuzzing).
  // A file of an older format version is written back in the current one, which must read
  // back to the same bytes again.
  const std::string again = c.serialize();
  const std::uint32_t version = std::uint32_t(data[8]) | std::uint32_t(data[9]) << 8 | std::uint32_t(data[10]) << 16 |
                                std::uint32_t(data[11]) << 24;
  if (version == Checkpoint::format_version)
    check(again.size() == bytes.size() && again.compare(0, 24, bytes.substr(0, 24)) == 0 &&
          again.compare(32, std::string::npos, bytes.substr(32)) == 0);
  else
    check(version < Checkpoint::format_version && Checkpoint::parse(again, "fuzz, rewritten").serialize() == again);

  std::vector<double> w(6, 0.5), g(6, 0.25);
  std::vector<float> b(3, 1.0f), gb(3, -1.0f);
  const std::vector<Param> params{Param("w", std::span(w), std::span(g), {2, 3}),
                                  Param("b", std::span(b), std::span(gb))};
  for (const std::string& name : c.names()) {
    switch (c.type(name)) {
      case Checkpoint::Type::bytes:
        c.bytes(name);
        break;
      case Checkpoint::Type::text:
        c.text(name);
        break;
      case Checkpoint::Type::i64:
        may_reject([&] { c.i64(name); });
        break;
      case Checkpoint::Type::f64:
        may_reject([&] { c.f64(name); });
        break;
      case Checkpoint::Type::tensor:
        may_reject([&] { c.tensor(name); });
        break;
      case Checkpoint::Type::optimizer:
        for (std::string_view rule : {"sgdm", "adam", "rmsprop", "adagrad"}) {
          auto opt = make_optimizer(rule, params);
          opt->step();
          const OptimizerState before = opt->export_state();
          try {
            c.restore_optimizer(*opt, name);
            opt->step();  // whatever was accepted must be steppable
          } catch (const Error&) {
            Checkpoint a, b2;
            a.put_optimizer("o", before);
            b2.put_optimizer(*opt, "o");
            check(a.serialize() == b2.serialize());  // rejected: unchanged
          }
        }
        break;
    }
  }
  may_reject([&] { c.restore_params("", params); });
  return 0;
}
