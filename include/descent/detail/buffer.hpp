#pragma once
// Storage for one state slot of one parameter (detail/driver.hpp).
#include <cstddef>
#include <memory>

namespace descent::detail {

// 64-byte aligned and zero-initialized. A large buffer is fresh pages from the system, which read
// as zero and take no memory until written: the state a constructor allocates as float32 costs
// nothing when state options replace it before the first step (docs/lowbit.md, peak memory).
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t bytes);
  void* data() { return ptr_.get(); }
  const void* data() const { return ptr_.get(); }
  explicit operator bool() const { return bool(ptr_); }

 private:
  struct Free {
    std::size_t mapped;  // the bytes of a mapping, or 0 for the heap (value-initialized: 0)
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> ptr_;
};

}  // namespace descent::detail
