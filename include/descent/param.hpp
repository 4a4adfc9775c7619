#pragma once
// A parameter is a named view over the caller's own memory: the values, their gradient and a
// shape. descent never copies or owns parameter memory, so std::vector, raw arrays and Eigen
// matrices all work as they are.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "descent/bf16.hpp"
#include "descent/error.hpp"

namespace descent {

// bf16: parameters and gradients of bfloat16 values (descent::bf16), stepped in float32 and
// rounded once (docs/lowbit.md, "bf16 parameters").
enum class DType { f32, f64, bf16 };

template <class T>
constexpr DType dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, bf16>,
                "descent parameters are float, double or descent::bf16");
  return std::is_same_v<T, float> ? DType::f32 : std::is_same_v<T, double> ? DType::f64 : DType::bf16;
}

const char* to_string(DType d);

using Shape = std::vector<std::size_t>;

// Part of a larger tensor: under zero1 each rank steps slices of the caller's tensors. Low-bit
// state treats a piece as that part of the whole, so that the result does not depend on where
// the tensor was cut: min_size applies to the whole tensor, stochastic rounding is keyed by the
// whole's index among the caller's tensors and each element's index in it, and q8 pieces start
// on a block boundary.
struct Piece {
  std::size_t tensor = 0;  // the whole tensor's index
  std::size_t offset = 0;  // the piece's first element in it
  std::size_t whole = 0;   // the whole tensor's size
};

class Param {
 public:
  template <class T>
  Param(std::string name, std::span<T> value, std::span<const T> grad, Shape shape = {})
      : name_(std::move(name)),
        dtype_(dtype_of<T>()),
        value_(value.data()),
        grad_(grad.data()),
        size_(value.size()),
        shape_(shape.empty() ? Shape{value.size()} : std::move(shape)) {
    check(grad.size());
  }
  template <class T>
  Param(std::string name, std::span<T> value, std::span<T> grad, Shape shape = {})
      : Param(std::move(name), value, std::span<const T>(grad), std::move(shape)) {}

  // Raw pointers: `size` values and as many gradient values.
  template <class T>
  Param(std::string name, T* value, const T* grad, std::size_t size, Shape shape = {})
      : Param(std::move(name), std::span<T>(value, size), std::span<const T>(grad, size), std::move(shape)) {}

  // Anything with contiguous data() and size(): std::vector, std::array, Eigen matrices.
  template <class C>
  requires requires(C& c) {
    c.data();
    c.size();
  }
  Param(std::string name, C& value, C& grad, Shape shape = {})
      : Param(std::move(name), std::span(value.data(), static_cast<std::size_t>(value.size())),
              std::span(grad.data(), static_cast<std::size_t>(grad.size())), std::move(shape)) {}

  const std::string& name() const { return name_; }
  DType dtype() const { return dtype_; }
  std::size_t size() const { return size_; }
  const Shape& shape() const { return shape_; }
  const std::optional<Piece>& piece() const { return piece_; }
  std::size_t whole_size() const { return piece_ ? piece_->whole : size_; }
  // This view as `piece` of a larger tensor (throws if it does not fit inside it).
  Param as_piece(Piece piece) const;

  template <class T>
  std::span<T> value() const {
    expect(dtype_of<T>());
    return {static_cast<T*>(value_), size_};
  }
  template <class T>
  std::span<const T> grad() const {
    expect(dtype_of<T>());
    return {static_cast<const T*>(grad_), size_};
  }

 private:
  void check(std::size_t grad_size) const;
  void expect(DType d) const;

  std::string name_;
  DType dtype_;
  void* value_;
  const void* grad_;
  std::size_t size_;
  Shape shape_;
  std::optional<Piece> piece_;
};

}  // namespace descent
