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
#include <string_view>
#include <vector>

#include "descent/detail/bf16_param_kernel.hpp"
#include "descent/detail/buffer.hpp"
#include "descent/detail/kernel.hpp"
#include "descent/detail/lowbit_kernel.hpp"
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
struct RuleOptimizer<Rule>::Storage {
  std::vector<std::array<detail::Buffer, slot_count>> state;  // per parameter, per slot
  std::vector<StateDType> stored;                             // per parameter: how its slots are stored
  // Per parameter: its slots hold their initial values (no step or import has written them), so
  // new state options allocate them anew instead of re-encoding (peak memory, docs/lowbit.md).
  std::vector<char> fresh;
  std::vector<std::vector<float>> views;  // state() of low-bit slots, decoded
  std::vector<detail::Buffer> master;     // per parameter: float32 master weights (bf16 parameters), or empty
  // Per-step scalars of every group, refreshed at the start of each step.
  struct Prepared {
    rules::Prelude<float> prelude32;
    rules::Prelude<double> prelude64;
    typename Rule::template Step<float> step32{};
    typename Rule::template Step<double> step64{};
  };
  std::vector<Prepared> prepared;
  // Rules that need per-tensor sums (NeedsSums) get one Step per parameter.
  std::vector<typename Rule::template Step<float>> tensor32;
  std::vector<typename Rule::template Step<double>> tensor64;
  detail::SumBuffers sum_buffers;  // the per-tensor sums' workspace, reused every step
};

template <class Rule>
RuleOptimizer<Rule>::RuleOptimizer(std::vector<Param> params, Options options) : storage_(std::make_unique<Storage>()) {
  add_group(std::move(params), std::move(options));
}
template <class Rule>
RuleOptimizer<Rule>::RuleOptimizer(RuleOptimizer&&) noexcept = default;
template <class Rule>
RuleOptimizer<Rule>& RuleOptimizer<Rule>::operator=(RuleOptimizer&&) noexcept = default;
template <class Rule>
RuleOptimizer<Rule>::~RuleOptimizer() = default;

template <class Rule>
StateDType RuleOptimizer<Rule>::state_dtype(std::size_t param) const {
  return storage_->stored.at(param);
}

template <class Rule>
void RuleOptimizer<Rule>::add_group(std::vector<Param> params, Options options) {
  validate(Rule::name, options);
  const std::size_t first = this->params().size();
  const double lr0 = options.lr;
  groups_.push_back({std::move(options), 0, 0, lr0, {}});
  storage_->prepared.emplace_back();
  try {
    add_params(std::move(params), groups_.size() - 1);
  } catch (...) {
    groups_.pop_back();
    storage_->prepared.pop_back();
    throw;
  }
  groups_.back().slots = Rule::slots(groups_.back().options);
  storage_->state.resize(this->params().size());
  storage_->stored.resize(this->params().size(), StateDType::f32);
  storage_->fresh.resize(this->params().size(), 1);
  storage_->views.resize(this->params().size() * slot_count);
  storage_->master.resize(this->params().size());
  for (std::size_t i = first; i < this->params().size(); ++i) allocate(i);
}

template <class Rule>
void RuleOptimizer<Rule>::allocate(std::size_t param) {
  const Param& p = params()[param];
  const Group& gr = groups_[group_index(param)];
  const StateDType to = slot_dtype(gr.state, p.dtype(), p.whole_size());
  const StateDType from = storage_->stored[param];
  const bool fresh = storage_->fresh[param];
  constexpr rules::Slots nonneg = detail::nonnegative_slots<Rule>();
  for (std::size_t j = 0; j < slot_count; ++j) {
    auto& buf = storage_->state[param][j];
    if (!rules::has(gr.slots, int(j))) {
      buf = detail::Buffer();
      continue;
    }
    const bool unsigned_map = rules::has(nonneg, int(j));
    if (buf && from != to && fresh) buf = detail::Buffer();  // initial values: made anew below
    if (buf && from != to) {  // new state options: the kept values, re-encoded (float32 parameters only)
      std::vector<float> values(p.size());
      detail::decode_slot(from, unsigned_map, buf.data(), p.size(), values.data());
      buf = detail::Buffer(detail::buffer_bytes(to, p.dtype(), p.size()));
      detail::encode_slot(to, unsigned_map, values.data(), p.size(), buf.data());
      continue;
    }
    if (buf) continue;
    buf = detail::Buffer(detail::buffer_bytes(to, p.dtype(), p.size()));
    double init = 0;
    if constexpr (requires { Rule::initial(gr.options, int(j)); }) init = Rule::initial(gr.options, int(j));
    if (init == 0) continue;  // zero bytes are 0 in every form
    if (p.dtype() == DType::f64) {
      std::fill_n(static_cast<double*>(buf.data()), p.size(), init);
    } else if (to == StateDType::f32) {
      std::fill_n(static_cast<float*>(buf.data()), p.size(), float(init));
    } else {
      const std::vector<float> values(p.size(), float(init));
      detail::encode_slot(to, unsigned_map, values.data(), p.size(), buf.data());
    }
  }
  storage_->stored[param] = to;
  // Master weights start as the bf16 weights, exactly; turned off, the weights are already the
  // master rounded.
  detail::Buffer& master = storage_->master[param];
  if (!gr.state.master_weights) {
    master = detail::Buffer();
  } else if (!master) {
    master = detail::Buffer(p.size() * sizeof(float));
    detail::bf16_widen(detail::bf16_bits(p.value<bf16>().data()), static_cast<float*>(master.data()), p.size());
  }
}

template <class Rule>
void RuleOptimizer<Rule>::set_state_options(const StateOptions& o, std::size_t group) {
  if (o.dtype != StateDType::f32 && o.dtype != StateDType::bf16 && o.dtype != StateDType::q8)
    throw OptionError(std::string(Rule::name) + ": unknown state dtype code " + std::to_string(int(o.dtype)));
  if (o.rounding != Rounding::nearest && o.rounding != Rounding::stochastic)
    throw OptionError(std::string(Rule::name) + ": unknown state rounding code " + std::to_string(int(o.rounding)));
  bool bf16_params = false;
  for (std::size_t i = 0; i < params().size(); ++i) {
    if (group_index(i) != group) continue;
    const Param& p = params()[i];
    bf16_params |= p.dtype() == DType::bf16;
    if (o.master_weights && p.dtype() != DType::bf16)
      throw OptionError(std::string(Rule::name) +
                        ": state option master_weights applies to bfloat16 parameters only; '" + p.name() +
                        "' in group " + std::to_string(group) + " is " + to_string(p.dtype()));
    if (p.piece() && p.piece()->offset % detail::q8_block != 0 &&
        slot_dtype(o, p.dtype(), p.whole_size()) == StateDType::q8)
      throw OptionError(std::string(Rule::name) + ": q8 state needs pieces on its blocks of " +
                        std::to_string(detail::q8_block) + " values; '" + p.name() + "' starts at element " +
                        std::to_string(p.piece()->offset) + " of its tensor");
  }
  // Stochastic rounding acts where float32 results are rounded to fewer bits: bf16 and q8 state,
  // and bf16 weights that are not the rounding of master weights.
  if (o.rounding == Rounding::stochastic && o.dtype == StateDType::f32 && (o.master_weights || !bf16_params)) {
    std::string message(Rule::name);
    message.append(": state rounding 'stochastic' applies to bf16 and q8 state only, not ").append(to_string(o.dtype));
    if (bf16_params) message.append(" (bfloat16 parameters round stochastically only without master_weights)");
    throw OptionError(message);
  }
  groups_.at(group).state = o;
  for (std::size_t i = 0; i < params().size(); ++i)
    if (group_index(i) == group) allocate(i);
}

template <class Rule>
std::size_t RuleOptimizer<Rule>::state_bytes() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < params().size(); ++i)
    for (std::size_t j = 0; j < slot_count; ++j)
      if (storage_->state[i][j]) total += slot_bytes(storage_->stored[i], params()[i].dtype(), params()[i].size());
  for (std::size_t i = 0; i < params().size(); ++i)
    if (storage_->master[i]) total += params()[i].size() * sizeof(float);
  return total;
}

template <class Rule>
void RuleOptimizer<Rule>::set_options(Options options, std::size_t group) {
  validate(Rule::name, options);
  Group& gr = groups_.at(group);
  gr.options = std::move(options);
  gr.lr0 = gr.options.lr;
  gr.slots = Rule::slots(gr.options);
  for (std::size_t i = 0; i < params().size(); ++i)
    if (group_index(i) == group) allocate(i);
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
  const Param& p = params().at(param);
  for (std::size_t j = 0; j < slot_count; ++j) {
    if (Rule::slot_names[j] != slot) continue;
    const auto& buf = storage_->state[param][j];
    if (!buf || storage_->stored[param] == StateDType::f32)  // bfloat16 parameters: float32 state
      return {Rule::slot_names[j], p.dtype() == DType::f64 ? DType::f64 : DType::f32, buf ? buf.data() : nullptr,
              p.size(), StateDType::f32};
    std::vector<float>& view = storage_->views[param * slot_count + j];
    view.resize(p.size());
    detail::decode_slot(storage_->stored[param], rules::has(detail::nonnegative_slots<Rule>(), int(j)), buf.data(),
                        p.size(), view.data());
    return {Rule::slot_names[j], DType::f32, view.data(), p.size(), storage_->stored[param]};
  }
  if (slot == master_slot) {
    const detail::Buffer& master = storage_->master[param];
    return {master_slot, DType::f32, master ? master.data() : nullptr, p.size(), StateDType::f32};
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
  s.skipped_steps = skipped_steps();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    OptimizerState::Group& out = s.groups.emplace_back();
    out.t = groups_[g].t;
    out.state = groups_[g].state;
    for (const OptionValue& o : option_values(g)) out.options.emplace_back(o.name, o.value);
  }
  for (std::size_t i = 0; i < params().size(); ++i) {
    const Param& p = params()[i];
    OptimizerState::Param& out = s.params.emplace_back();
    out = {p.name(), group_index(i), p.dtype(), p.shape(), {}};
    const StateDType d = storage_->stored[i];
    const std::size_t bytes = slot_bytes(d, p.dtype(), p.size());
    for (std::size_t j = 0; j < slot_count; ++j) {
      if (!storage_->state[i][j]) continue;
      const auto* data = static_cast<const unsigned char*>(storage_->state[i][j].data());
      out.slots.push_back({std::string(Rule::slot_names[j]), {}, d});
      OptimizerState::Slot& slot = out.slots.back();
      if (d == StateDType::q8) {  // the codes, then the scales (without the buffer's padding)
        slot.bytes.assign(data, data + p.size());
        const unsigned char* scales = data + detail::q8_scales_offset(p.size());
        slot.bytes.insert(slot.bytes.end(), scales, scales + (bytes - p.size()));
      } else {
        slot.bytes.assign(data, data + bytes);
      }
    }
    if (const detail::Buffer& master = storage_->master[i]) {
      const auto* data = static_cast<const unsigned char*>(master.data());
      out.slots.push_back({std::string(master_slot), {data, data + p.size() * sizeof(float)}, StateDType::f32});
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
    // An option the file does not name was added after it was written: it keeps this
    // optimizer's value, which is its convention's preset (the file's convention, when the
    // optimizer is rebuilt the way the run was declared). Unknown and repeated names are errors.
    Options o = groups[g].options;
    std::vector<std::string_view> seen;
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
      if (std::find(seen.begin(), seen.end(), std::string_view(name)) != seen.end())
        throw Error(std::string(Rule::name) + ": option '" + name + "' appears twice in group " + std::to_string(g));
      seen.push_back(name);
    }
    validate(Rule::name, o);
    if (Rule::slots(o) != groups[g].slots)
      throw Error(std::string(Rule::name) + ": group " + std::to_string(g) +
                  " options keep other state slots than this optimizer's (e.g. momentum, amsgrad, centered)");
    if (s.groups[g].t < 0) throw Error(std::string(Rule::name) + ": group " + std::to_string(g) + " has t < 0");
    groups[g].options = std::move(o);
    groups[g].t = s.groups[g].t;
    groups[g].state = s.groups[g].state;
    for (std::size_t i = 0; i < params().size(); ++i)
      if (group_index(i) == g && groups[g].state.master_weights && params()[i].dtype() != DType::bf16)
        throw Error(std::string(Rule::name) + ": group " + std::to_string(g) +
                    " has master_weights, which apply to bfloat16 parameters only; '" + params()[i].name() + "' is " +
                    to_string(params()[i].dtype()));
  }
  std::vector<std::array<detail::Buffer, slot_count>> state(params().size());
  std::vector<StateDType> stored(params().size());
  std::vector<detail::Buffer> master(params().size());
  for (std::size_t i = 0; i < params().size(); ++i) {
    const OptimizerState::Param& from = s.params[order[i]];
    stored[i] = slot_dtype(groups[group_index(i)].state, params()[i].dtype(), params()[i].whole_size());
    const rules::Slots keep = groups[group_index(i)].slots;
    const bool keeps_master = groups[group_index(i)].state.master_weights;
    std::size_t kept = keeps_master;
    for (std::size_t j = 0; j < slot_count; ++j) kept += rules::has(keep, int(j));
    if (from.slots.size() != kept)
      throw Error(std::string(Rule::name) + ": parameter '" + from.name + "' has " + std::to_string(from.slots.size()) +
                  " state slots, this optimizer keeps " + std::to_string(kept));
    for (const OptimizerState::Slot& slot : from.slots) {
      if (slot.name == master_slot && keeps_master && !master[i] && slot.dtype == StateDType::f32) {
        master[i] = detail::Buffer(slot.bytes.size());  // its size is checked by match_state
        std::memcpy(master[i].data(), slot.bytes.data(), slot.bytes.size());
        continue;
      }
      std::size_t j = 0;
      while (j < slot_count && Rule::slot_names[j] != slot.name) ++j;
      if (j == slot_count || !rules::has(keep, int(j)) || state[i][j])
        throw Error(std::string(Rule::name) + ": parameter '" + from.name + "' has state slot '" + slot.name +
                    "', which this optimizer does not keep");
      if (slot.dtype != stored[i])
        throw Error(std::string(Rule::name) + ": state slot '" + slot.name + "' of parameter '" + from.name +
                    "' is stored as " + to_string(slot.dtype) + ", its group's state options give " +
                    to_string(stored[i]));
      const std::size_t n = params()[i].size();
      state[i][j] = detail::Buffer(detail::buffer_bytes(stored[i], params()[i].dtype(), n));
      auto* to = static_cast<unsigned char*>(state[i][j].data());
      if (stored[i] == StateDType::q8) {
        std::memcpy(to, slot.bytes.data(), n);
        std::memcpy(to + detail::q8_scales_offset(n), slot.bytes.data() + n, slot.bytes.size() - n);
      } else {
        std::memcpy(to, slot.bytes.data(), slot.bytes.size());
      }
    }
  }
  groups_.swap(groups);
  storage_->state.swap(state);
  storage_->stored.swap(stored);
  storage_->master.swap(master);
  storage_->fresh.assign(params().size(), 0);
  set_skipped_steps(s.skipped_steps);
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
  std::fill(storage_->fresh.begin(), storage_->fresh.end(), 0);
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    Group& gr = groups_[i];
    ++gr.t;
    typename Storage::Prepared& pr = storage_->prepared[i];
    pr.prelude32 = prelude<float>(gr.options, gr.lr0);
    pr.prelude64 = prelude<double>(gr.options, gr.lr0);
    pr.step32 = Rule::template prepare<float>(gr.options, gr.t, gr.options.lr);
    pr.step64 = Rule::template prepare<double>(gr.options, gr.t, gr.options.lr);
  }
  if constexpr (NeedsSums<Rule>) prepare_tensors();
  detail::for_each_share(
      offsets(), pass_threads(),
      [](void* self, std::size_t param, std::size_t begin, std::size_t end) {
        static_cast<RuleOptimizer*>(self)->run(param, begin, end);
      },
      this);
  clear_grad_scales();
}

template <class Rule>
void RuleOptimizer<Rule>::prepare_tensors() {
  if constexpr (NeedsSums<Rule>) {
    static constexpr std::size_t width = Rule::sums;  // static: clang 14 would need it captured
    // One chunk's sums: the same prelude and slots as the update, read-only.
    auto body = [](void* self_, std::size_t param, std::size_t begin, std::size_t end, double* out) {
      auto* self = static_cast<RuleOptimizer*>(self_);
      const Param& p = self->params()[param];
      const std::size_t g = self->group_index(param);
      const auto& pr = self->storage_->prepared[g];
      auto go = [&]<class T>(rules::Prelude<T> prelude, const typename Rule::template Step<T>& k) {
        // Blocks of terms computed in a loop the compiler vectorizes, then added into eight
        // interleaved lanes per sum: a fixed order, set by the chunk alone.
        constexpr std::size_t block = detail::term_block;
        alignas(64) T zeros[block] = {};
        alignas(64) T terms[width][block];
        alignas(64) float decoded[slot_count][block];  // low-bit slots, decoded block by block
        alignas(64) float wide[2][block];              // a bf16 parameter's weights and gradients, widened
        const rules::Slots S = self->groups_[g].slots;
        double lanes[width][8] = {};
        for (std::size_t b = begin; b < end; b += block) {
          const std::size_t len = std::min(block, end - b);
          const T* src[slot_count];  // a slot the group does not keep reads as zeros
          for (std::size_t j = 0; j < slot_count; ++j)
            src[j] = self->storage_->state[param][j] ? static_cast<const T*>(self->storage_->state[param][j].data()) + b
                                                     : zeros;
          if constexpr (std::is_same_v<T, float>)
            if (self->storage_->stored[param] != StateDType::f32) self->decode_block(param, b, len, decoded, src);
          const T* w = nullptr;
          const T* grad = nullptr;
          if constexpr (std::is_same_v<T, float>)
            if (p.dtype() == DType::bf16) {  // what the step reads: the master weights, or the widened weights
              const detail::Buffer& master = self->storage_->master[param];
              if (master) w = static_cast<const float*>(master.data()) + b;
              if (!master) detail::bf16_widen(detail::bf16_bits(p.value<bf16>().data()) + b, wide[0], len), w = wide[0];
              detail::bf16_widen(detail::bf16_bits(self->template grad_of<bf16>(param)) + b, wide[1], len);
              grad = wide[1];
            }
          if (!w) {
            w = p.value<T>().data() + b;
            grad = self->template grad_of<T>(param) + b;  // the cleaned copy under NonFinite::zero
          }
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
      if (p.dtype() != DType::f64)
        go(scaled(pr.prelude32, self->grad_scales(), param), pr.step32);
      else
        go(scaled(pr.prelude64, self->grad_scales(), param), pr.step64);
    };
    detail::sum_chunks(storage_->sum_buffers, offsets(), pass_threads(), width, body, this);
    std::vector<double>& sums = storage_->sum_buffers.sums;
    if (sums_hook()) sums_hook()(sums, width);
    storage_->tensor32.resize(params().size());
    storage_->tensor64.resize(params().size());
    for (std::size_t i = 0; i < params().size(); ++i) {
      std::array<double, width> s;
      for (std::size_t j = 0; j < width; ++j) s[j] = sums[i * width + j];
      const auto& pr = storage_->prepared[group_index(i)];
      storage_->tensor32[i] = pr.step32;
      storage_->tensor64[i] = pr.step64;
      Rule::finish(storage_->tensor32[i], s);
      Rule::finish(storage_->tensor64[i], s);
    }
  }
}

template <class Rule>
void RuleOptimizer<Rule>::run(std::size_t param, std::size_t begin, std::size_t end) {
  const Param& p = params()[param];
  const std::size_t g = group_index(param);
  const auto& pr = storage_->prepared[g];
  auto go = [&]<class T>(const rules::Prelude<T>& prelude, const typename Rule::template Step<T>& k) {
    T* slots[slot_count > 0 ? slot_count : 1] = {};
    for (std::size_t j = 0; j < slot_count; ++j)
      slots[j] = storage_->state[param][j] ? static_cast<T*>(storage_->state[param][j].data()) + begin : nullptr;
    auto kernel = detail::kernel_for<Rule, T>(groups_[g].slots, detail::decays(prelude), reference());
    kernel(prelude, k, p.value<T>().data() + begin, grad_of<T>(param) + begin, slots, end - begin);
  };
  const typename Rule::template Step<float>* k32 = &pr.step32;
  const typename Rule::template Step<double>* k64 = &pr.step64;
  if constexpr (NeedsSums<Rule>) k32 = &storage_->tensor32[param], k64 = &storage_->tensor64[param];
  if (p.dtype() == DType::bf16)
    run_bf16(param, begin, end, scaled(pr.prelude32, grad_scales(), param), *k32);
  else if (storage_->stored[param] != StateDType::f32)
    run_lowbit(param, begin, end, scaled(pr.prelude32, grad_scales(), param), *k32, p.value<float>().data() + begin,
               grad_of<float>(param) + begin);
  else if (p.dtype() == DType::f32)
    go(scaled(pr.prelude32, grad_scales(), param), *k32);
  else
    go(scaled(pr.prelude64, grad_scales(), param), *k64);
}

template <class Rule>
void RuleOptimizer<Rule>::decode_block(std::size_t param, std::size_t b, std::size_t len, float (*out)[256],
                                       const float** src) const {
  static_assert(detail::q8_block == 256 && detail::term_block == 256, "one block of terms is one q8 block");
  const StateDType d = storage_->stored[param];
  const std::size_t n = params()[param].size();
  for (std::size_t j = 0; j < slot_count; ++j) {
    if (!storage_->state[param][j]) continue;
    const auto* data = static_cast<const unsigned char*>(storage_->state[param][j].data());
    if (d == StateDType::q8) {
      const float scale = reinterpret_cast<const float*>(data + detail::q8_scales_offset(n))[b / detail::q8_block];
      if (rules::has(detail::nonnegative_slots<Rule>(), int(j)))
        detail::q8_decode_block<false>(data + b, scale, out[j], len);
      else
        detail::q8_decode_block<true>(data + b, scale, out[j], len);
    } else {
      const auto* h = reinterpret_cast<const std::uint16_t*>(data) + b;
      for (std::size_t i = 0; i < len; ++i) out[j][i] = detail::bf16_decode(h[i]);
    }
    src[j] = out[j];
  }
}

template <class Rule>
void RuleOptimizer<Rule>::run_lowbit(std::size_t param, std::size_t begin, std::size_t end,
                                     const rules::Prelude<float>& prelude, const typename Rule::template Step<float>& k,
                                     float* w, const float* grad) {
  const std::size_t g = group_index(param);
  const StateOptions& so = groups_[g].state;
  const StateDType d = storage_->stored[param];
  detail::LowSlots ls;
  ls.begin = std::uint32_t(first_element(param) + begin);
  for (std::size_t j = 0; j < slot_count; ++j) {
    if (!storage_->state[param][j]) continue;
    auto* data = static_cast<unsigned char*>(storage_->state[param][j].data());
    if (d == StateDType::q8) {
      ls.data[j] = data + begin;
      ls.scales[j] =
          reinterpret_cast<float*>(data + detail::q8_scales_offset(params()[param].size())) + begin / detail::q8_block;
    } else {
      ls.data[j] = reinterpret_cast<std::uint16_t*>(data) + begin;
    }
    ls.key[j] = detail::rounding_key(so.seed, groups_[g].t, tensor_index(param), j);
  }
  const bool stochastic = so.rounding == Rounding::stochastic;
  const detail::LowFormat f = d == StateDType::q8
                                  ? (stochastic ? detail::LowFormat::q8_stochastic : detail::LowFormat::q8)
                                  : (stochastic ? detail::LowFormat::bf16_stochastic : detail::LowFormat::bf16_nearest);
  auto kernel = detail::lowbit_kernel_for<Rule>(f, groups_[g].slots, detail::decays(prelude), reference());
  kernel(prelude, k, w, grad, ls, end - begin);
}

// A bf16 parameter: the float32 kernel of its state's storage, block by block over the widened
// weights (or the master weights) and gradients (detail/bf16_param_kernel.hpp).
template <class Rule>
void RuleOptimizer<Rule>::run_bf16(std::size_t param, std::size_t begin, std::size_t end,
                                   const rules::Prelude<float>& prelude, const typename Rule::template Step<float>& k) {
  const std::size_t g = group_index(param);
  const StateOptions& so = groups_[g].state;
  detail::Buffer& master = storage_->master[param];
  const detail::Bf16Piece piece{detail::bf16_bits(params()[param].template value<bf16>().data()) + begin,
                                detail::bf16_bits(grad_of<bf16>(param)) + begin,
                                master ? static_cast<float*>(master.data()) + begin : nullptr,
                                !master && so.rounding == Rounding::stochastic,
                                detail::rounding_key(so.seed, groups_[g].t, tensor_index(param), detail::weights_slot),
                                std::uint32_t(first_element(param) + begin)};
  if (storage_->stored[param] != StateDType::f32) {
    detail::step_bf16_piece(piece, end - begin, [&](float* w, const float* grad, std::size_t b, std::size_t len) {
      run_lowbit(param, begin + b, begin + b + len, prelude, k, w, grad);
    });
    return;
  }
  auto kernel = detail::kernel_for<Rule, float>(groups_[g].slots, detail::decays(prelude), reference());
  detail::step_bf16_piece(piece, end - begin, [&](float* w, const float* grad, std::size_t b, std::size_t len) {
    float* slots[slot_count > 0 ? slot_count : 1] = {};
    for (std::size_t j = 0; j < slot_count; ++j)
      if (storage_->state[param][j]) slots[j] = static_cast<float*>(storage_->state[param][j].data()) + begin + b;
    kernel(prelude, k, w, grad, slots, len);
  });
}

}  // namespace descent
