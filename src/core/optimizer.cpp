#include "descent/optimizer.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>

#if defined(__linux__) || defined(__APPLE__)
#include <sys/mman.h>
#define DESCENT_MMAP 1
#endif

#include "descent/detail/buffer.hpp"
#include "descent/detail/threads.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace descent {

void Optimizer::set_threads(int n) {
  if (n < 0) throw OptionError("threads = " + std::to_string(n) + " is out of range [0, inf)");
  threads_ = n;
}

void Optimizer::add_params(std::vector<Param> params, std::size_t group) {
  std::set<std::string_view> seen;
  for (const Param& p : params_) seen.insert(p.name());
  for (const Param& p : params)
    if (!seen.insert(p.name()).second) throw Error("parameter '" + p.name() + "' appears twice");
  for (Param& p : params) {
    offsets_.push_back(offsets_.back() + p.size());
    group_of_.push_back(group);
    params_.push_back(std::move(p));
    bad_.push_back(0);
  }
}

void Optimizer::rebind(std::size_t param, Param memory) {
  if (param >= params_.size()) throw Error("rebind: no parameter " + std::to_string(param));
  const Param& p = params_[param];
  if (memory.name() != p.name() || memory.dtype() != p.dtype() || memory.shape() != p.shape())
    throw Error("rebind: parameter " + std::to_string(param) + " is '" + p.name() + "' (" + to_string(p.dtype()) +
                "), not '" + memory.name() + "' (" + to_string(memory.dtype()) + ") or of another shape");
  params_[param] = std::move(memory);
}

namespace detail {

Buffer::Buffer(std::size_t bytes) {
  // 64-byte alignment: whole cache lines, and aligned vector loads from the first element.
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + 63) / 64 * 64;
#ifdef DESCENT_MMAP
  // From 1 MiB up, a private anonymous mapping: page-aligned, and its pages are the system's zero
  // page until written, where memset would write them all now (resident memory; docs/lowbit.md).
  if (rounded >= (std::size_t(1) << 20)) {
    void* p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ptr_ = std::unique_ptr<void, Free>(p, Free{rounded});
    return;
  }
#endif
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  ptr_ = std::unique_ptr<void, Free>(p, Free{0});
}

void Buffer::Free::operator()(void* p) const {
#ifdef DESCENT_MMAP
  if (mapped) {
    munmap(p, mapped);
    return;
  }
#endif
  std::free(p);
}

namespace {
thread_local int pass_threads = 1;
}
int last_pass_threads() noexcept { return pass_threads; }
void set_last_pass_threads(int threads) noexcept { pass_threads = threads; }

void for_each_share(const std::vector<std::size_t>& offsets, int threads,
                    void (*body)(void* self, std::size_t param, std::size_t begin, std::size_t end), void* self) {
  const std::size_t total = offsets.back();
  auto share = [&](std::size_t lo, std::size_t hi) {
    // First parameter whose elements reach past lo.
    std::size_t p = std::upper_bound(offsets.begin(), offsets.end(), lo) - offsets.begin() - 1;
    while (lo < hi) {
      const std::size_t end = std::min(hi, offsets[p + 1]);
      if (end > lo) body(self, p, lo - offsets[p], end - offsets[p]);
      lo = end;
      ++p;
    }
  };
  int n = 1;
#ifdef _OPENMP
  n = threads > 0 ? threads : omp_get_max_threads();
#else
  (void)threads;  // one thread without OpenMP (DESCENT_OPENMP=OFF)
#endif
  n = int(std::min<std::size_t>(std::size_t(std::max(n, 1)), std::max<std::size_t>(total / min_share, 1)));
  if (n == 1) {
    share(0, total);
    set_last_pass_threads(total > 0 ? 1 : 0);
    return;
  }
  int ran = 0;  // the threads that got a non-empty share
#pragma omp parallel num_threads(n) reduction(+ : ran)
  {
#ifdef _OPENMP
    const std::size_t k = std::size_t(omp_get_thread_num());
    const std::size_t nt = std::size_t(omp_get_num_threads());
#else
    const std::size_t k = 0, nt = 1;
#endif
    // Shares end a multiple of 256 elements into a parameter, counted from its first element:
    // 8-bit state's blocks of 256 values are never split between threads (so their scales are
    // the same for any thread count), the state slots start on a 64-byte line, so two threads
    // never write one line of state, and each piece's vector loop starts aligned.
    auto edge = [&](std::size_t i) {
      if (i == nt) return total;
      const std::size_t flat = total * i / nt;
      const std::size_t p = std::upper_bound(offsets.begin(), offsets.end(), flat) - offsets.begin() - 1;
      return offsets[p] + ((flat - offsets[p]) & ~std::size_t(255));
    };
    const std::size_t lo = edge(k), hi = edge(k + 1);
    share(lo, hi);
    ran = lo < hi;
  }
  set_last_pass_threads(ran);
}

}  // namespace detail
}  // namespace descent
