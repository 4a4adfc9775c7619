#pragma once
// Storage for one state slot of one parameter (detail/driver.hpp).
#include <cstddef>
#include <memory>

namespace descent::detail {

class Buffer {  // 64-byte aligned, zero-initialized
 public:
  Buffer() = default;
  explicit Buffer(std::size_t bytes);
  void* data() { return ptr_.get(); }
  const void* data() const { return ptr_.get(); }
  explicit operator bool() const { return bool(ptr_); }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> ptr_;
};

}  // namespace descent::detail
