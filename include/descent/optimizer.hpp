#pragma once
// The driver: one class template for every rule. It owns the parameter groups, the state slots,
// the step counters, threads and SIMD dispatch; the rule (rules/*.hpp) owns only its math.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "descent/options.hpp"
#include "descent/param.hpp"
#include "descent/rules/rule.hpp"
#include "descent/state.hpp"

namespace descent {

// What step() does when a gradient holds inf or NaN (docs/checkpoints.md, "Non-finite gradients").
enum class NonFinite {
  error,  // throw, naming the parameter and the first bad index; nothing changes
  skip,   // leave parameters, state and t as they are; count the step (skipped_steps())
  zero,   // take the step with every non-finite gradient entry read as 0
  // No check: the step reads each gradient once, as torch.optim does, and a non-finite value
  // flows into w and the state. The checks above cost one more read of g per step (about 1/7
  // of Adam's traffic, 1/3 of SGD's), which a caller who checks its own loss may not want.
  unchecked,
};
NonFinite parse_nonfinite(std::string_view s);  // throws OptionError on an unknown name
const char* to_string(NonFinite p);

// A read-only look at one state slot of one parameter.
// Low-bit state (bf16, q8) is shown decoded to float32: the values the next step will read.
struct SlotView {
  std::string_view name;
  DType dtype = DType::f64;
  const void* data = nullptr;  // null when the group does not keep this slot
  std::size_t size = 0;
  StateDType stored = StateDType::f32;  // how the optimizer keeps it

  explicit operator bool() const { return data != nullptr; }
  template <class T>
  std::span<const T> as() const {
    if (data && dtype != dtype_of<T>()) throw Error("state slot '" + std::string(name) + "' is " + to_string(dtype));
    return {static_cast<const T*>(data), data ? size : 0};
  }
};

// What every optimizer offers, whatever its rule: the interface the CLI, the training lab and
// the cross-rule tests use.
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  virtual std::string_view name() const = 0;
  // One step: every parameter moves by its gradient, every group's t advances by one.
  virtual void step() = 0;

  virtual std::size_t group_count() const = 0;
  // The step counter of a group: the tutorial's global step, 0 before the first step.
  virtual std::int64_t t(std::size_t group = 0) const = 0;
  virtual double lr(std::size_t group = 0) const = 0;
  virtual void set_lr(double lr, std::size_t group = 0) = 0;

  // Every option of a group by name, as listed by the rule's options (flags as 0 or 1).
  struct OptionValue {
    std::string_view name;
    double value;
    bool is_flag;
  };
  virtual std::vector<OptionValue> option_values(std::size_t group = 0) const = 0;
  // Sets one option from text ("0.9", "true"); validated, so a bad value changes nothing.
  virtual void set_option(std::string_view name, std::string_view text, std::size_t group = 0) = 0;

  // Every parameter, in group order.
  const std::vector<Param>& params() const { return params_; }
  // A new group over `params`, with the options of group `like` (set_option then changes them):
  // for callers that build groups by option name, as the Python binding does.
  virtual void add_group_like(std::vector<Param> params, std::size_t like = 0) = 0;
  // Points parameter `param` at other memory holding the same parameter (same name, dtype and
  // shape); its state stays. For frameworks that reallocate gradients between steps (torch's
  // zero_grad(set_to_none=True)): the caller re-points the parameter instead of rebuilding.
  void rebind(std::size_t param, Param memory);
  std::size_t group_of(std::size_t param) const { return group_of_.at(param); }
  virtual std::span<const std::string_view> slot_names() const = 0;
  // Slot `slot` of parameter `param` (an index into params()); empty if its group keeps no such slot.
  // master_slot ("master"): a bf16 parameter's float32 master weights (StateOptions::master_weights).
  virtual SlotView state(std::size_t param, std::string_view slot) const = 0;

  // How a group stores its state (state.hpp, docs/lowbit.md). Kept state is re-encoded in the
  // new form at once; throws OptionError on a combination that would have no effect.
  virtual void set_state_options(const StateOptions& options, std::size_t group = 0) = 0;
  virtual const StateOptions& state_options(std::size_t group = 0) const = 0;
  // How parameter `param`'s slots are stored: its group's dtype, or f32 for a tensor below
  // min_size or of float64 values.
  virtual StateDType state_dtype(std::size_t param) const = 0;
  // Bytes of every kept slot of every parameter, as stored (q8: codes and scales).
  virtual std::size_t state_bytes() const = 0;

  // The whole state (options, t, every kept slot), keyed by name: what a checkpoint stores.
  virtual OptimizerState export_state() const = 0;
  // Loads a state exported by an optimizer of the same rule over parameters with the same names,
  // groups, shapes and dtypes, keeping the same slots. Everything is checked and copied first;
  // on any mismatch it throws Error and this optimizer is exactly as it was.
  virtual void import_state(const OptimizerState& state) = 0;

  // Non-finite gradients: checked before every step, by one read of every gradient.
  void set_nonfinite(NonFinite policy) { nonfinite_ = policy; }
  NonFinite nonfinite() const { return nonfinite_; }
  std::int64_t skipped_steps() const { return skipped_steps_; }  // under NonFinite::skip
  std::int64_t zeroed_values() const { return zeroed_values_; }  // under NonFinite::zero

  // Threads for step(): 0 takes OpenMP's default. Results are bit-identical for any count.
  void set_threads(int n);
  int threads() const { return threads_; }
  // Runs the plain scalar loop instead of the vectorized, threaded kernels (tests compare them).
  void set_reference(bool on) { reference_ = on; }

  // Multiplies the gradients of the next step() by `scale` (all parameters, or one), without
  // touching the gradient memory: gradient clipping and accumulation fold into the step this
  // way, at no extra pass over the gradients. Reset to 1 after each step().
  void set_grad_scale(double scale) { grad_scale_.assign(params_.size(), scale); }
  void set_grad_scale(std::size_t param, double scale) {
    if (param >= params_.size()) throw Error("set_grad_scale: no parameter " + std::to_string(param));
    grad_scale_.resize(params_.size(), 1.0);
    grad_scale_[param] = scale;
  }
  double grad_scale(std::size_t param) const { return param < grad_scale_.size() ? grad_scale_[param] : 1.0; }

  // Rules that need per-tensor sums (LAMB's norms, detail/driver.hpp): the hook sees every
  // parameter's sums (params() order, `width` each) after they are computed and before the step
  // uses them, and may change them. A process that holds only a slice of each tensor (ZeRO-1,
  // descent/mpi) adds there the partial sums of the processes holding the other slices.
  using SumsHook = std::function<void(std::span<double> sums, std::size_t width)>;
  void set_sums_hook(SumsHook hook) { sums_hook_ = std::move(hook); }

 protected:
  // The driver's (detail/driver.hpp) half: parameters join, gradients are admitted, state is
  // matched; the data stays private to this class.
  void add_params(std::vector<Param> params, std::size_t group);
  // Applies the non-finite policy before a step: throws (error), returns false (skip: the step
  // must not happen), or prepares cleaned copies of the bad gradients (zero).
  bool admit_gradients();
  // The gradient a step reads for a parameter: the caller's, or its cleaned copy under `zero`.
  template <class T>
  const T* grad_of(std::size_t param) const {
    if (cleaned_.empty() || cleaned_[param].empty()) return params_[param].grad<T>().data();
    return reinterpret_cast<const T*>(cleaned_[param].data());
  }
  // For import_state: checks the rule name, groups, and every parameter's name, group, dtype,
  // shape and slot sizes; returns, for each of params(), its index in state.params.
  std::vector<std::size_t> match_state(const OptimizerState& state) const;

  std::size_t group_index(std::size_t param) const { return group_of_[param]; }  // unchecked group_of
  const std::vector<std::size_t>& offsets() const { return offsets_; }           // prefix sums of parameter sizes
  bool reference() const { return reference_; }
  int pass_threads() const { return reference_ ? 1 : threads_; }  // for one pass over the elements
  const std::vector<double>& grad_scales() const { return grad_scale_; }
  void clear_grad_scales() { grad_scale_.clear(); }
  const SumsHook& sums_hook() const { return sums_hook_; }
  void set_skipped_steps(std::int64_t n) { skipped_steps_ = n; }

 private:
  std::vector<Param> params_;
  std::vector<std::size_t> group_of_;
  std::vector<std::size_t> offsets_{0};  // prefix sums of parameter sizes, for splitting work
  int threads_ = 0;
  bool reference_ = false;
  NonFinite nonfinite_ = NonFinite::error;
  std::int64_t skipped_steps_ = 0;
  std::int64_t zeroed_values_ = 0;
  std::vector<unsigned char> bad_;            // per parameter: this step's check found a non-finite gradient
  std::vector<std::vector<double>> cleaned_;  // per parameter; empty unless this step had bad values
  std::vector<double> grad_scale_;            // per parameter for the next step; empty: all 1
  SumsHook sums_hook_;
};

template <class Rule>
class RuleOptimizer final : public Optimizer {
 public:
  using Options = typename Rule::Options;
  static constexpr std::size_t slot_count = Rule::slot_names.size();

  explicit RuleOptimizer(std::vector<Param> params, Options options = {});
  RuleOptimizer(RuleOptimizer&&) noexcept;
  RuleOptimizer& operator=(RuleOptimizer&&) noexcept;
  ~RuleOptimizer() override;
  // A new group with its own options (any option may differ from the other groups').
  void add_group(std::vector<Param> params, Options options);
  void add_group_like(std::vector<Param> params, std::size_t like = 0) override {
    add_group(std::move(params), groups_.at(like).options);
  }

  const Options& options(std::size_t group = 0) const { return groups_.at(group).options; }
  // Validated; slots that the new options need start at their initial value.
  void set_options(Options options, std::size_t group = 0);

  std::string_view name() const override { return Rule::name; }
  void step() override;
  std::size_t group_count() const override { return groups_.size(); }
  std::int64_t t(std::size_t group = 0) const override { return groups_.at(group).t; }
  double lr(std::size_t group = 0) const override { return groups_.at(group).options.lr; }
  void set_lr(double lr, std::size_t group = 0) override;
  std::span<const std::string_view> slot_names() const override { return Rule::slot_names; }
  SlotView state(std::size_t param, std::string_view slot) const override;
  std::vector<OptionValue> option_values(std::size_t group = 0) const override;
  void set_option(std::string_view name, std::string_view text, std::size_t group = 0) override;
  OptimizerState export_state() const override;
  void import_state(const OptimizerState& state) override;
  void set_state_options(const StateOptions& options, std::size_t group = 0) override;
  const StateOptions& state_options(std::size_t group = 0) const override { return groups_.at(group).state; }
  StateDType state_dtype(std::size_t param) const override;
  std::size_t state_bytes() const override;

 private:
  struct Group {
    Options options;
    rules::Slots slots = 0;
    std::int64_t t = 0;
    double lr0 = 0;  // the lr of the last set_options, for schedule_scaled_decay
    StateOptions state;
  };
  void allocate(std::size_t param);
  void run(std::size_t param, std::size_t begin, std::size_t end);
  // Low-bit slots of values [b, b + len) (b a multiple of 256, len ≤ 256) decoded into out; src[j]
  // then points at slot j's decoded values. For the per-tensor sums' read-only pass.
  void decode_block(std::size_t param, std::size_t b, std::size_t len, float (*out)[256], const float** src) const;
  // w and grad: the float32 weights and gradients of [begin, end), from begin.
  void run_lowbit(std::size_t param, std::size_t begin, std::size_t end, const rules::Prelude<float>& prelude,
                  const typename Rule::template Step<float>& k, float* w, const float* grad);
  void run_bf16(std::size_t param, std::size_t begin, std::size_t end, const rules::Prelude<float>& prelude,
                const typename Rule::template Step<float>& k);
  // The tensor a parameter is (a piece of), and its first element there: stochastic rounding's key.
  std::size_t tensor_index(std::size_t param) const {
    const auto& piece = this->params()[param].piece();
    return piece ? piece->tensor : param;
  }
  std::size_t first_element(std::size_t param) const {
    const auto& piece = this->params()[param].piece();
    return piece ? piece->offset : 0;
  }

  void prepare_tensors();

  std::vector<Group> groups_;
  // The state slots and each step's workspace, defined with the step (detail/driver.hpp).
  struct Storage;
  std::unique_ptr<Storage> storage_;
};

}  // namespace descent
