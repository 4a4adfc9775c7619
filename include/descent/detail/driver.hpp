#pragma once
// Definitions of RuleOptimizer<Rule>. The library instantiates them for its own rules
// (src/core/optimizers.cpp, compiled with the flags the kernels need); a user-defined rule includes
// this header and instantiates RuleOptimizer<MyRule> the same way, in a file compiled with those
// flags: CMake target descent::kernel_flags (tests/consumers/rule_consumer.cpp shows both).
// Without -ffp-contract=off, GCC fuses a·b + c at the x86-64-v3/v4 levels and their results
// stop matching the scalar reference path.
#include <algorithm>
#include <cstring>
#include <string>

#include "descent/detail/kernel.hpp"
#include "descent/detail/reduce.hpp"
#include "descent/optimizer.hpp"

namespace descent {

namespace detail {
// Calls body(param, begin, end) over every element of every parameter, split into one
// contiguous share of the elements per thread: no per-tensor thread start-up, and since every
// rule is elementwise, the split cannot change the numbers.
void for_each_share(const std::vector<std::size_t>& offsets, int threads,
                    void (*body)(void* self, std::size_t param, std::size_t begin, std::size_t end), void* self);
}  // namespace detail

// A rule whose update needs sums over each whole tensor (LAMB's norms) declares
//   static constexpr std::size_t sums;                              how many
//   terms(step, slots, w, g, slot values...) -> std::array<T, sums> one element's contribution,
//                                                                   read-only (slots by value)
//   finish(step&, const std::array<double, sums>&)                  the tensor's step from its sums
// The driver then runs a read-only pass (detail/reduce.hpp: fixed chunks, so the sums are the
// same for any thread count) before the elementwise update, which gets the tensor's own Step.
template <class Rule>
concept NeedsSums = requires {
  Rule::sums;
};

namespace detail {
inline constexpr std::size_t term_block = 256;  // elements per block of terms: on the stack, in L1
// One block of a NeedsSums rule's terms. Plain arguments, not captures: __restrict reaches the
// vectorizer only through a function's parameters.
template <class Rule, class T>
inline void terms_loop(const rules::Prelude<T> prelude, const typename Rule::template Step<T> k, rules::Slots S,
                       const T* __restrict w, const T* __restrict grad, const T* const* src, std::size_t len,
                       T (*terms)[term_block]) {
  constexpr std::size_t slots = Rule::slot_names.size();
  const T* s[slots];
  for (std::size_t j = 0; j < slots; ++j) s[j] = src[j];
  for (std::size_t i = 0; i < len; ++i) {
    const T gi = prelude.sign * grad[i] + prelude.l2 * w[i];  // the update's prelude, read-only
    const T wi = prelude.keep * w[i];
    const std::array<T, Rule::sums> t = [&]<std::size_t... J>(std::index_sequence<J...>) {
      return Rule::terms(k, S, wi, gi, s[J][i]...);
    }
    (std::make_index_sequence<slots>{});
    for (std::size_t j = 0; j < Rule::sums; ++j) terms[j][i] = t[j];
  }
}

// The same, compiled per CPU level like the update kernels.
template <class Rule, class T>
void block_terms(const rules::Prelude<T>& prelude, const typename Rule::template Step<T>& k, rules::Slots S, const T* w,
                 const T* grad, const T* const* src, std::size_t len, T (*terms)[term_block]) {
  at_kernel_level([&] { terms_loop<Rule, T>(prelude, k, S, w, grad, src, len, terms); });
}
}  // namespace detail

template <class Rule>
RuleOptimizer<Rule>::RuleOptimizer(std::vector<Param> params, Options options) {
  add_group(std::move(params), std::move(options));
}

template <class Rule>
void RuleOptimizer<Rule>::add_group(std::vector<Param> params, Options options) {
  validate(Rule::name, options);
  const std::size_t first = params_.size();
  const double lr0 = options.lr;
  groups_.push_back({std::move(options), 0, 0, lr0});
  prepared_.emplace_back();
  try {
    add_params(std::move(params), groups_.size() - 1);
  } catch (...) {
    groups_.pop_back();
    prepared_.pop_back();
    throw;
  }
  groups_.back().slots = Rule::slots(groups_.back().options);
  state_.resize(params_.size());
  for (std::size_t i = first; i < params_.size(); ++i) allocate(i);
}

template <class Rule>
void RuleOptimizer<Rule>::allocate(std::size_t param) {
  const Param& p = params_[param];
  const Group& gr = groups_[group_of_[param]];
  const std::size_t width = p.dtype() == DType::f32 ? sizeof(float) : sizeof(double);
  for (std::size_t j = 0; j < slot_count; ++j) {
    auto& buf = state_[param][j];
    if (!rules::has(gr.slots, int(j))) {
      buf = detail::Buffer();
      continue;
    }
    if (buf) continue;
    buf = detail::Buffer(p.size() * width);
    double init = 0;
    if constexpr (requires { Rule::initial(gr.options, int(j)); }) init = Rule::initial(gr.options, int(j));
    if (init != 0) {
      if (p.dtype() == DType::f32)
        std::fill_n(static_cast<float*>(buf.data()), p.size(), float(init));
      else
        std::fill_n(static_cast<double*>(buf.data()), p.size(), init);
    }
  }
}

template <class Rule>
void RuleOptimizer<Rule>::set_options(Options options, std::size_t group) {
  validate(Rule::name, options);
  Group& gr = groups_.at(group);
  gr.options = std::move(options);
  gr.lr0 = gr.options.lr;
  gr.slots = Rule::slots(gr.options);
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (group_of_[i] == group) allocate(i);
}

template <class Rule>
void RuleOptimizer<Rule>::set_lr(double lr, std::size_t group) {
  Options o = groups_.at(group).options;
  o.lr = lr;
  validate(Rule::name, o);
  groups_[group].options.lr = lr;
}

template <class Rule>
SlotView RuleOptimizer<Rule>::state(std::size_t param, std::string_view slot) const {
  const Param& p = params_.at(param);
  for (std::size_t j = 0; j < slot_count; ++j) {
    if (Rule::slot_names[j] != slot) continue;
    const auto& buf = state_[param][j];
    return {Rule::slot_names[j], p.dtype(), buf ? buf.data() : nullptr, p.size()};
  }
  throw Error(std::string(Rule::name) + " has no state slot '" + std::string(slot) + "'");
}

template <class Rule>
std::vector<Optimizer::OptionValue> RuleOptimizer<Rule>::option_values(std::size_t group) const {
  std::vector<OptionValue> out;
  Options o = groups_.at(group).options;
  o.fields([&](std::string_view name, auto& value, const Range&, std::string_view) {
    out.push_back({name, double(value), std::is_same_v<std::decay_t<decltype(value)>, bool>});
  });
  return out;
}

template <class Rule>
void RuleOptimizer<Rule>::set_option(std::string_view name, std::string_view text, std::size_t group) {
  Options o = groups_.at(group).options;
  descent::set_option(Rule::name, o, name, text);
  set_options(std::move(o), group);
}

template <class Rule>
OptimizerState RuleOptimizer<Rule>::export_state() const {
  OptimizerState s;
  s.optimizer = Rule::name;
  s.skipped_steps = skipped_steps_;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    OptimizerState::Group& out = s.groups.emplace_back();
    out.t = groups_[g].t;
    for (const OptionValue& o : option_values(g)) out.options.emplace_back(o.name, o.value);
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    OptimizerState::Param& out = s.params.emplace_back();
    out = {p.name(), group_of_[i], p.dtype(), p.shape(), {}};
    const std::size_t bytes = p.size() * (p.dtype() == DType::f32 ? sizeof(float) : sizeof(double));
    for (std::size_t j = 0; j < slot_count; ++j) {
      if (!state_[i][j]) continue;
      const auto* data = static_cast<const unsigned char*>(state_[i][j].data());
      out.slots.push_back({std::string(Rule::slot_names[j]), std::vector<unsigned char>(data, data + bytes)});
    }
  }
  return s;
}

// Everything is built in temporaries and checked before the one swap at the end, which cannot
// throw: a state that does not fit leaves this optimizer untouched.
template <class Rule>
void RuleOptimizer<Rule>::import_state(const OptimizerState& s) {
  const std::vector<std::size_t> order = match_state(s);  // names, groups, shapes, dtypes, slot sizes
  std::vector<Group> groups = groups_;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    Options o = groups[g].options;
    std::size_t matched = 0;
    for (const auto& option : s.groups[g].options) {
      const std::string& name = option.first;  // not a structured binding: lambdas capture it (clang < 16)
      const double value = option.second;
      bool found = false;
      o.fields([&](std::string_view field, auto& x, const Range&, std::string_view) {
        if (field != name) return;
        found = true;
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, bool>) {
          if (value != 0 && value != 1) throw_out_of_range(Rule::name, name, value, unit_interval());
          x = value != 0;
        } else {
          x = value;
        }
      });
      if (!found)
        throw Error(std::string(Rule::name) + ": unknown option '" + name + "' in group " + std::to_string(g));
      ++matched;
    }
    std::size_t fields = 0;
    o.fields([&](std::string_view, auto&, const Range&, std::string_view) { ++fields; });
    if (matched != fields)
      throw Error(std::string(Rule::name) + ": group " + std::to_string(g) + " has " + std::to_string(matched) +
                  " options, expected " + std::to_string(fields) + " (each once)");
    validate(Rule::name, o);
    if (Rule::slots(o) != groups[g].slots)
      throw Error(std::string(Rule::name) + ": group " + std::to_string(g) +
                  " options keep other state slots than this optimizer's (e.g. momentum, amsgrad, centered)");
    if (s.groups[g].t < 0) throw Error(std::string(Rule::name) + ": group " + std::to_string(g) + " has t < 0");
    groups[g].options = std::move(o);
    groups[g].t = s.groups[g].t;
  }
  std::vector<std::array<detail::Buffer, slot_count>> state(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const OptimizerState::Param& from = s.params[order[i]];
    const rules::Slots keep = groups[group_of_[i]].slots;
    std::size_t kept = 0;
    for (std::size_t j = 0; j < slot_count; ++j) kept += rules::has(keep, int(j));
    if (from.slots.size() != kept)
      throw Error(std::string(Rule::name) + ": parameter '" + from.name + "' has " + std::to_string(from.slots.size()) +
                  " state slots, this optimizer keeps " + std::to_string(kept));
    for (const OptimizerState::Slot& slot : from.slots) {
      std::size_t j = 0;
      while (j < slot_count && Rule::slot_names[j] != slot.name) ++j;
      if (j == slot_count || !rules::has(keep, int(j)) || state[i][j])
        throw Error(std::string(Rule::name) + ": parameter '" + from.name + "' has state slot '" + slot.name +
                    "', which this optimizer does not keep");
      state[i][j] = detail::Buffer(slot.bytes.size());
      std::memcpy(state[i][j].data(), slot.bytes.data(), slot.bytes.size());
    }
  }
  groups_.swap(groups);
  state_.swap(state);
  skipped_steps_ = s.skipped_steps;
}

template <class T, class Options>
rules::Prelude<T> prelude(const Options& o, double lr0) {
  const bool l2 = !o.decoupled_weight_decay;
  const double rate = o.schedule_scaled_decay ? (lr0 > 0 ? o.lr / lr0 : 1.0) : o.lr;  // the schedule's η_t, or lr
  return {T(o.maximize ? -1.0 : 1.0), T(l2 ? o.weight_decay : 0.0), T(l2 ? 1.0 : 1.0 - rate * o.weight_decay)};
}

// The prelude for one parameter: a gradient scale (clipping, accumulation) folds into the sign.
template <class T>
rules::Prelude<T> scaled(rules::Prelude<T> p, const std::vector<double>& scale, std::size_t param) {
  if (param < scale.size()) p.sign = T(double(p.sign) * scale[param]);  // a group added since: 1
  return p;
}

template <class Rule>
void RuleOptimizer<Rule>::step() {
  cpu_level();                     // a DESCENT_CPU_LEVEL this CPU cannot run is an error before anything moves
  if (!admit_gradients()) return;  // a skipped step: t and state stay as they are
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    Group& gr = groups_[i];
    ++gr.t;
    Prepared& pr = prepared_[i];
    pr.prelude32 = prelude<float>(gr.options, gr.lr0);
    pr.prelude64 = prelude<double>(gr.options, gr.lr0);
    pr.step32 = Rule::template prepare<float>(gr.options, gr.t, gr.options.lr);
    pr.step64 = Rule::template prepare<double>(gr.options, gr.t, gr.options.lr);
  }
  if constexpr (NeedsSums<Rule>) prepare_tensors();
  detail::for_each_share(
      offsets_, reference_ ? 1 : threads_,
      [](void* self, std::size_t param, std::size_t begin, std::size_t end) {
        static_cast<RuleOptimizer*>(self)->run(param, begin, end);
      },
      this);
  grad_scale_.clear();
}

template <class Rule>
void RuleOptimizer<Rule>::prepare_tensors() {
  if constexpr (NeedsSums<Rule>) {
    static constexpr std::size_t width = Rule::sums;  // static: clang 14 would need it captured
    // One chunk's sums: the same prelude and slots as the update, read-only.
    auto body = [](void* self_, std::size_t param, std::size_t begin, std::size_t end, double* out) {
      auto* self = static_cast<RuleOptimizer*>(self_);
      const Param& p = self->params_[param];
      const std::size_t g = self->group_of_[param];
      const Prepared& pr = self->prepared_[g];
      auto go = [&]<class T>(rules::Prelude<T> prelude, const typename Rule::template Step<T>& k) {
        // Blocks of terms computed in a loop the compiler vectorizes, then added into eight
        // interleaved lanes per sum: a fixed order, set by the chunk alone.
        constexpr std::size_t block = detail::term_block;
        alignas(64) T zeros[block] = {};
        alignas(64) T terms[width][block];
        const rules::Slots S = self->groups_[g].slots;
        double lanes[width][8] = {};
        for (std::size_t b = begin; b < end; b += block) {
          const std::size_t len = std::min(block, end - b);
          const T* src[slot_count];  // a slot the group does not keep reads as zeros
          for (std::size_t j = 0; j < slot_count; ++j)
            src[j] = self->state_[param][j] ? static_cast<const T*>(self->state_[param][j].data()) + b : zeros;
          const T* w = p.value<T>().data() + b;
          const T* grad = self->template grad_of<T>(param) + b;  // the cleaned copy under NonFinite::zero
          detail::block_terms<Rule, T>(prelude, k, S, w, grad, src, len, terms);
          for (std::size_t j = 0; j < width; ++j) {
            std::size_t i = 0;
            for (; i + 8 <= len; i += 8)
              for (std::size_t l = 0; l < 8; ++l) lanes[j][l] += double(terms[j][i + l]);
            for (std::size_t l = 0; i < len; ++i, ++l) lanes[j][l] += double(terms[j][i]);
          }
        }
        std::array<double, width> acc{};
        for (std::size_t j = 0; j < width; ++j)
          for (double l : lanes[j]) acc[j] += l;
        for (std::size_t j = 0; j < width; ++j) out[j] = acc[j];
      };
      if (p.dtype() == DType::f32)
        go(scaled(pr.prelude32, self->grad_scale_, param), pr.step32);
      else
        go(scaled(pr.prelude64, self->grad_scale_, param), pr.step64);
    };
    detail::sum_chunks(sum_buffers_, offsets_, reference_ ? 1 : threads_, width, body, this);
    std::vector<double>& sums = sum_buffers_.sums;
    if (sums_hook_) sums_hook_(sums, width);
    tensor32_.resize(params_.size());
    tensor64_.resize(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) {
      std::array<double, width> s;
      for (std::size_t j = 0; j < width; ++j) s[j] = sums[i * width + j];
      const Prepared& pr = prepared_[group_of_[i]];
      tensor32_[i] = pr.step32;
      tensor64_[i] = pr.step64;
      Rule::finish(tensor32_[i], s);
      Rule::finish(tensor64_[i], s);
    }
  }
}

template <class Rule>
void RuleOptimizer<Rule>::run(std::size_t param, std::size_t begin, std::size_t end) {
  const Param& p = params_[param];
  const std::size_t g = group_of_[param];
  const Prepared& pr = prepared_[g];
  auto go = [&]<class T>(const rules::Prelude<T>& prelude, const typename Rule::template Step<T>& k) {
    T* slots[slot_count > 0 ? slot_count : 1] = {};
    for (std::size_t j = 0; j < slot_count; ++j)
      slots[j] = state_[param][j] ? static_cast<T*>(state_[param][j].data()) + begin : nullptr;
    auto kernel = detail::kernel_for<Rule, T>(groups_[g].slots, detail::decays(prelude), reference_);
    kernel(prelude, k, p.value<T>().data() + begin, grad_of<T>(param) + begin, slots, end - begin);
  };
  if constexpr (NeedsSums<Rule>) {
    if (p.dtype() == DType::f32)
      go(scaled(pr.prelude32, grad_scale_, param), tensor32_[param]);
    else
      go(scaled(pr.prelude64, grad_scale_, param), tensor64_[param]);
  } else {
    if (p.dtype() == DType::f32)
      go(scaled(pr.prelude32, grad_scale_, param), pr.step32);
    else
      go(scaled(pr.prelude64, grad_scale_, param), pr.step64);
  }
}

}  // namespace descent
