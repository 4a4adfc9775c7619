#include "descent/explain.hpp"

#include <cmath>

namespace descent {

ExplainTable explain(std::string_view optimizer, Convention convention, const Overrides& overrides,
                     std::span<const double> grads, double w0) {
  if (!std::isfinite(w0)) throw OptionError("w0 = " + format_number(w0) + " is not a finite number");
  for (std::size_t i = 0; i < grads.size(); ++i)
    if (!std::isfinite(grads[i]))
      throw OptionError("gradient " + std::to_string(i + 1) + " = " + format_number(grads[i]) +
                        " is not a finite number");
  std::vector<double> w{w0}, g{0.0};
  auto opt = make_optimizer(optimizer, {Param("w", std::span(w), std::span(g))}, convention, overrides);
  opt->set_reference(true);  // the plain scalar loop: what the formulas say, one element at a time
  opt->set_nonfinite(NonFinite::unchecked);

  ExplainTable table;
  table.optimizer = std::string(optimizer);
  table.convention = convention;
  table.options = opt->option_values();
  table.w0 = w0;
  auto slot = [&](std::string_view name) -> std::optional<double> {
    for (auto s : opt->slot_names())
      if (s == name)
        if (SlotView view = opt->state(0, name)) return view.as<double>()[0];
    return std::nullopt;
  };
  std::vector<std::string_view> extra;
  for (auto s : opt->slot_names())
    if (s != "m" && s != "v" && opt->state(0, s)) {
      extra.push_back(s);
      table.extra_names.emplace_back(s);
    }
  for (double gt : grads) {
    g[0] = gt;
    const double before = w[0];
    opt->step();
    ExplainRow row{opt->t(), gt, slot("m"), slot("v"), before - w[0], w[0], {}};
    bool finite = std::isfinite(row.w) && std::isfinite(row.eta);
    for (auto s : extra) {
      row.extra.push_back(*slot(s));
      finite = finite && std::isfinite(row.extra.back());
    }
    for (const auto& x : {row.m, row.v}) finite = finite && (!x || std::isfinite(*x));
    table.rows.push_back(std::move(row));
    if (!finite) {
      table.diverged_at = opt->t();
      break;  // every later step would only carry the inf or NaN along
    }
  }
  return table;
}

}  // namespace descent
