#pragma once
// The one loop every rule runs in: read w, g and the state slots once, write w and the slots
// once. The rule's update is inlined into it, and the loop is compiled once per CPU level
// (At<L> below) and picked at run time (descent/cpu.hpp: the best level of this CPU, or one a
// test forces), so the rule stays plain scalar code and the compiler vectorizes it. The library
// is built with -ffp-contract=off so every CPU level, the reference loop and any thread count
// give bit-identical numbers.
#include <cstddef>
#include <utility>

#include "descent/cpu.hpp"
#include "descent/rules/rule.hpp"

// GCC on x86-64 compiles the x86-64-v2/v3/v4 levels; elsewhere (clang, other CPUs) the
// baseline is the only level.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DESCENT_CPU_LEVELS 1
#define DESCENT_SCALAR __attribute__((optimize("no-tree-vectorize")))
#else
#define DESCENT_SCALAR
#endif
#if defined(__GNUC__)
#define DESCENT_FLATTEN __attribute__((flatten))
#else
#define DESCENT_FLATTEN
#endif

namespace descent::detail {

template <class T, class Step>
using Kernel = void (*)(const rules::Prelude<T>&, const Step&, T*, const T*, T* const*, std::size_t);

// How the loop reads and writes a state slot: Plain is full precision (the slot holds T);
// the low-bit codecs (detail/lowbit.hpp) decode on load and round on store, in the same pass.
template <class T>
struct Plain {
  using Store = T;
  T load(const T* s, std::size_t i) const { return s[i]; }
  void store(T* s, std::size_t i, T x, std::size_t /*slot*/) const { s[i] = x; }
};

// Decay: the group maximizes or decays its weights, so the prelude runs. Without, the loop skips
// its three multiplies by 1 and 0: on a float SGD step they cost a third of the memory rate.
template <class Rule, rules::Slots S, bool Decay, class T, class C, std::size_t... J>
inline void loop(const rules::Prelude<T>& p, const typename Rule::template Step<T>& k, T* __restrict w,
                 const T* __restrict g, typename C::Store* const* s, std::size_t n, const C& c,
                 std::index_sequence<J...>) {
  for (std::size_t i = 0; i < n; ++i) {
    // Every value is loaded once into a local and stored once: the rule's update then works on
    // registers, and no store through one slot can make the compiler reload another.
    const T w0 = w[i];
    T gi = g[i], wi = w0;
    if constexpr (Decay) {
      gi = p.sign * gi + p.l2 * w0;  // maximize; L2 weight decay
      wi = p.keep * w0;              // decoupled weight decay
    }
    T slot[sizeof...(J) > 0 ? sizeof...(J) : 1] = {(rules::has(S, J) ? T(c.load(s[J], i)) : T(0))...};
    Rule::template update<S>(k, wi, gi, slot[J]...);
    ((rules::has(S, J) ? c.store(s[J], i, slot[J], J) : void()), ...);
    w[i] = wi;
  }
}

// At<L>::run(f) returns f() with f's body compiled for level L: flatten inlines f, and the loops
// in it, into a function whose target is L, so the compiler vectorizes them with L's
// instructions. The primary template is the baseline (the build's own flags).
template <CpuLevel L>
struct At {
  template <class F>
  DESCENT_FLATTEN static decltype(auto) run(const F& f) {
    return f();
  }
};
#ifdef DESCENT_CPU_LEVELS
#define DESCENT_AT(level, arch)                                                    \
  template <>                                                                      \
  struct At<CpuLevel::level> {                                                     \
    template <class F>                                                             \
    __attribute__((target(arch), flatten)) static decltype(auto) run(const F& f) { \
      return f();                                                                  \
    }                                                                              \
  };
DESCENT_AT(x86_64_v2, "arch=x86-64-v2")
DESCENT_AT(x86_64_v3, "arch=x86-64-v3")
DESCENT_AT(x86_64_v4, "arch=x86-64-v4")
#undef DESCENT_AT
#endif

// The level the kernels run at (cpu_level() without its error, which a step reports first).
CpuLevel kernel_level() noexcept;

// f() compiled for the level the kernels run at now: the one dispatch of every vectorized loop
// (the update kernels, the per-tensor sums, the gradient check, the roofline pass).
template <class F>
decltype(auto) at_kernel_level(const F& f) {
  switch (kernel_level()) {
    case CpuLevel::x86_64_v4:
      return At<CpuLevel::x86_64_v4>::run(f);
    case CpuLevel::x86_64_v3:
      return At<CpuLevel::x86_64_v3>::run(f);
    case CpuLevel::x86_64_v2:
      return At<CpuLevel::x86_64_v2>::run(f);
    default:
      return At<CpuLevel::baseline>::run(f);
  }
}

template <class Rule, rules::Slots S, bool Decay, class T>
void fast(const rules::Prelude<T>& p0, const typename Rule::template Step<T>& k0, T* w, const T* g, T* const* s0,
          std::size_t n) {
  at_kernel_level([&] {
    // Local copies: the compiler cannot prove stores to w leave the caller's scalars alone.
    const rules::Prelude<T> p = p0;
    const typename Rule::template Step<T> k = k0;
    constexpr std::size_t slots = Rule::slot_names.size();
    T* s[slots > 0 ? slots : 1];
    for (std::size_t j = 0; j < slots; ++j) s[j] = s0[j];
    loop<Rule, S, Decay>(p, k, w, g, s, n, Plain<T>{}, std::make_index_sequence<slots>{});
  });
}

template <class Rule, rules::Slots S, bool Decay, class T>
DESCENT_SCALAR void reference(const rules::Prelude<T>& p, const typename Rule::template Step<T>& k, T* w, const T* g,
                              T* const* s, std::size_t n) {
  loop<Rule, S, Decay>(p, k, w, g, s, n, Plain<T>{}, std::make_index_sequence<Rule::slot_names.size()>{});
}

// Whether a prelude changes anything (maximize, either weight decay).
template <class T>
bool decays(const rules::Prelude<T>& p) {
  return p.sign != T(1) || p.l2 != T(0) || p.keep != T(1);
}

// The kernel for a group's slot set (one instantiation per entry of Rule::variants) and prelude.
template <class Rule, class T>
Kernel<T, typename Rule::template Step<T>> kernel_for(rules::Slots slots, bool decay, bool scalar) {
  Kernel<T, typename Rule::template Step<T>> found = nullptr;
  [&]<std::size_t... V>(std::index_sequence<V...>) {
    auto pick = [&]<rules::Slots S>() {
      if (decay)
        found = scalar ? &reference<Rule, S, true, T> : &fast<Rule, S, true, T>;
      else
        found = scalar ? &reference<Rule, S, false, T> : &fast<Rule, S, false, T>;
    };
    ((slots == Rule::variants[V] ? (pick.template operator()<Rule::variants[V]>(), 0) : 0), ...);
  }
  (std::make_index_sequence<Rule::variants.size()>{});
  return found;
}

}  // namespace descent::detail
