#include "descent/explain.hpp"

#include <cmath>
#include <cstring>
#include <memory>

namespace descent {
namespace {

// One optimizer over one scalar parameter of type T, on the plain scalar loop: what the
// formulas say, one element at a time.
template <class T>
struct Scalar {
  std::vector<T> w, g;
  std::unique_ptr<Optimizer> opt;

  Scalar(std::string_view optimizer, Convention convention, const Overrides& overrides, double w0,
         const StateOptions& state)
      : w{T(w0)}, g{T(0)} {
    opt = make_optimizer(optimizer, {Param("w", std::span(w), std::span(g))}, convention, overrides);
    opt->set_reference(true);
    opt->set_nonfinite(NonFinite::unchecked);
    opt->set_state_options(state);
  }
  double step(double gt) {  // the step taken, w_t − w_{t+1}
    g[0] = T(gt);
    const double before = w[0];
    opt->step();
    return before - double(w[0]);
  }
  bool keeps(std::string_view slot) const {
    for (auto s : opt->slot_names())
      if (s == slot) return bool(opt->state(0, s));
    return false;
  }
  double slot(std::string_view name) const { return opt->state(0, name).template as<T>()[0]; }  // decoded
};

// How slot `name` of the one parameter is stored: the bf16 bits, or the q8 code and its scale.
ExplainStored stored_of(const OptimizerState& s, std::string_view name, double f32) {
  ExplainStored out{f32, 0, 0};
  for (const OptimizerState::Slot& slot : s.params.at(0).slots) {
    if (slot.name != name) continue;
    if (slot.dtype == StateDType::bf16) {
      std::uint16_t bits = 0;
      std::memcpy(&bits, slot.bytes.data(), sizeof bits);
      out.code = bits;
    } else if (slot.dtype == StateDType::q8) {  // one code, then its block's float32 scale
      float scale = 0;
      std::memcpy(&scale, slot.bytes.data() + 1, sizeof scale);
      out.code = slot.bytes[0];
      out.scale = scale;
    }
  }
  return out;
}

template <class T>
void run(ExplainTable& table, Scalar<T>& main, Scalar<float>* f32, std::span<const double> grads) {
  auto moment = [&](std::string_view name) -> std::optional<double> {
    if (main.keeps(name)) return main.slot(name);
    return std::nullopt;
  };
  std::vector<std::string_view> extra;
  for (auto s : main.opt->slot_names())
    if (s != "m" && s != "v" && main.keeps(s)) {
      extra.push_back(s);
      table.extra_names.emplace_back(s);
    }
  if (f32)
    for (auto s : main.opt->slot_names())
      if (main.keeps(s) && (s == "m" || s == "v")) table.stored_names.emplace_back(s);
  if (f32) table.stored_names.insert(table.stored_names.end(), table.extra_names.begin(), table.extra_names.end());
  for (double gt : grads) {
    const double eta = main.step(gt);
    ExplainRow row{main.opt->t(), gt, moment("m"), moment("v"), eta, double(main.w[0]), {}, {}, 0};
    bool finite = std::isfinite(row.w) && std::isfinite(row.eta);
    for (auto s : extra) {
      row.extra.push_back(main.slot(s));
      finite = finite && std::isfinite(row.extra.back());
    }
    for (const auto& x : {row.m, row.v}) finite = finite && (!x || std::isfinite(*x));
    if (f32) {
      f32->step(gt);
      row.w_f32 = f32->w[0];
      const OptimizerState s = main.opt->export_state();
      for (const std::string& name : table.stored_names) row.stored.push_back(stored_of(s, name, f32->slot(name)));
    }
    table.rows.push_back(std::move(row));
    if (!finite) {
      table.diverged_at = main.opt->t();
      break;  // every later step would only carry the inf or NaN along
    }
  }
}

}  // namespace

ExplainTable explain(std::string_view optimizer, Convention convention, const Overrides& overrides,
                     std::span<const double> grads, double w0, const StateOptions& state) {
  if (!std::isfinite(w0)) throw OptionError("w0 = " + format_number(w0) + " is not a finite number");
  for (std::size_t i = 0; i < grads.size(); ++i)
    if (!std::isfinite(grads[i]))
      throw OptionError("gradient " + std::to_string(i + 1) + " = " + format_number(grads[i]) +
                        " is not a finite number");
  ExplainTable table;
  table.optimizer = std::string(optimizer);
  table.convention = convention;
  table.w0 = w0;
  table.state = state;
  table.state.min_size = 0;  // a one-value tensor keeps f32 state under any larger min_size
  if (state.dtype == StateDType::f32) {
    Scalar<double> main(optimizer, convention, overrides, w0, table.state);  // the formulas in double
    table.options = main.opt->option_values();
    run(table, main, static_cast<Scalar<float>*>(nullptr), grads);
  } else {
    // Low-bit state is for float32 parameters: the run is float32, so its inputs must be too.
    auto check = [&](const std::string& what, double x) {
      if (!std::isfinite(float(x)))
        throw OptionError(what + " = " + format_number(x) + " is beyond float32's range (" + to_string(state.dtype) +
                          " state runs a float32 parameter)");
    };
    check("w0", w0);
    for (std::size_t i = 0; i < grads.size(); ++i) check("gradient " + std::to_string(i + 1), grads[i]);
    Scalar<float> main(optimizer, convention, overrides, w0, table.state);
    bool kept = false;
    for (auto s : main.opt->slot_names()) kept = kept || main.keeps(s);
    if (!kept)  // an option with no effect is an error, not a silent no-op
      throw OptionError(std::string(optimizer) + " keeps no state with these options: " + to_string(state.dtype) +
                        " state has nothing to store");
    Scalar<float> f32(optimizer, convention, overrides, w0, {});
    table.options = main.opt->option_values();
    run(table, main, &f32, grads);
  }
  return table;
}

}  // namespace descent
