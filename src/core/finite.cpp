// Non-finite gradients (NonFinite): one read-only pass over every gradient before a step.
// A pre-check rather than a test inside the update loop, because `error` and `skip` must leave
// parameters, state and t untouched, and the loop writes them as it goes; the check reads g
// once more (one stream more than the update's 3 to 7) and stops at the first bad block.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "descent/detail/driver.hpp"
#include "descent/detail/names.hpp"

namespace descent {

namespace {
constexpr detail::Names<NonFinite, 4> nonfinite_names{{{NonFinite::error, "error"},
                                                       {NonFinite::skip, "skip"},
                                                       {NonFinite::zero, "zero"},
                                                       {NonFinite::unchecked, "unchecked"}}};
}  // namespace

NonFinite parse_nonfinite(std::string_view s) { return detail::parse_name(nonfinite_names, s, "non-finite policy"); }

const char* to_string(NonFinite p) { return detail::name_of(nonfinite_names, p); }

namespace {

// Index of the first inf or NaN in x[0, n), or n. Blocks are tested with integer operations on
// the exponent bits (all ones means inf or NaN), which vectorize; only a bad block is rescanned.
// bf16 is read as its bits, and the exponent test is the whole test.
bool finite(float x) { return std::isfinite(x); }
bool finite(double x) { return std::isfinite(x); }
bool finite(bf16 x) { return (x.bits & 0x7f80u) != 0x7f80u; }

template <class T>
std::size_t first_nonfinite(const T* x, std::size_t n) {
  return detail::at_kernel_level([&] {
    using U = std::conditional_t<std::is_same_v<T, float>, std::uint32_t,
                                 std::conditional_t<std::is_same_v<T, bf16>, std::uint16_t, std::uint64_t>>;
    constexpr U exponent = std::is_same_v<T, float>  ? U(0x7f800000u)
                           : std::is_same_v<T, bf16> ? U(0x7f80u)
                                                     : U(0x7ff0000000000000ull);
    constexpr std::size_t block = 2048;
    for (std::size_t b = 0; b < n; b += block) {
      const std::size_t e = std::min(n, b + block);
      U any = 0;
      for (std::size_t i = b; i < e; ++i) {
        U bits;
        std::memcpy(&bits, x + i, sizeof bits);
        any |= U((bits & exponent) == exponent);
      }
      if (any)
        for (std::size_t i = b; i < e; ++i)
          if (!finite(x[i])) return i;
    }
    return n;
  });
}

std::size_t first_nonfinite(const Param& p, std::size_t begin, std::size_t end) {
  if (p.dtype() == DType::f32) return begin + first_nonfinite(p.grad<float>().data() + begin, end - begin);
  if (p.dtype() == DType::bf16) return begin + first_nonfinite(p.grad<bf16>().data() + begin, end - begin);
  return begin + first_nonfinite(p.grad<double>().data() + begin, end - begin);
}

std::string index_text(const Shape& shape, std::size_t i) {
  std::string out = std::to_string(i);
  if (shape.size() < 2) return out;
  std::vector<std::size_t> at(shape.size());
  for (std::size_t k = shape.size(); k-- > 0;) {
    at[k] = i % shape[k];
    i /= shape[k];
  }
  out += " (";
  for (std::size_t k = 0; k < at.size(); ++k) out += (k ? ", " : "") + std::to_string(at[k]);
  return out + ")";
}

template <class T>
std::size_t clean(const Param& p, std::vector<double>& out) {
  out.assign((p.size() * sizeof(T) + sizeof(double) - 1) / sizeof(double) + 1, 0.0);
  T* to = reinterpret_cast<T*>(out.data());
  const T* g = p.grad<T>().data();
  std::size_t zeroed = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const bool ok = finite(g[i]);
    to[i] = ok ? g[i] : T(0);
    zeroed += !ok;
  }
  return zeroed;
}

}  // namespace

bool Optimizer::admit_gradients() {
  cleaned_.clear();
  if (nonfinite_ == NonFinite::unchecked) return true;
  struct Check {
    const std::vector<Param>* params;
    unsigned char* bad;
  };
  std::vector<unsigned char>& bad = bad_;  // sized with the parameters: a step does not allocate
  std::fill(bad.begin(), bad.end(), 0);
  Check check{&params_, bad.data()};
  detail::for_each_share(
      offsets_, reference_ ? 1 : threads_,
      [](void* c, std::size_t param, std::size_t begin, std::size_t end) {
        auto& ck = *static_cast<Check*>(c);
        if (first_nonfinite((*ck.params)[param], begin, end) != end) {
#ifdef __cpp_lib_atomic_ref
          std::atomic_ref<unsigned char>(ck.bad[param]).store(1, std::memory_order_relaxed);
#else  // libc++ before 19 (emscripten's) has no atomic_ref; the builtin is the same store
          __atomic_store_n(&ck.bad[param], 1, __ATOMIC_RELAXED);
#endif
        }
      },
      &check);
  std::size_t first = 0;
  while (first < bad.size() && !bad[first]) ++first;
  if (first == bad.size()) return true;

  switch (nonfinite_) {
    case NonFinite::error: {
      const Param& p = params_[first];
      const std::size_t i = first_nonfinite(p, 0, p.size());
      const double x = p.dtype() == DType::f32    ? double(p.grad<float>()[i])
                       : p.dtype() == DType::bf16 ? double(float(p.grad<bf16>()[i]))
                                                  : p.grad<double>()[i];
      throw Error("non-finite gradient: parameter '" + p.name() + "' has " +
                  (std::isnan(x) ? "nan"
                   : x > 0       ? "inf"
                                 : "-inf") +
                  " at index " + index_text(p.shape(), i) + "; the step was not taken");
    }
    case NonFinite::skip:
      ++skipped_steps_;
      return false;
    case NonFinite::zero:
      cleaned_.resize(params_.size());
      for (std::size_t k = first; k < params_.size(); ++k) {
        if (!bad[k]) continue;
        const Param& p = params_[k];
        zeroed_values_ += std::int64_t(p.dtype() == DType::f32    ? clean<float>(p, cleaned_[k])
                                       : p.dtype() == DType::bf16 ? clean<bf16>(p, cleaned_[k])
                                                                  : clean<double>(p, cleaned_[k]));
      }
      return true;
    case NonFinite::unchecked:
      return true;
  }
  return true;
}

}  // namespace descent
