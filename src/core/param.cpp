#include "descent/param.hpp"

#include <functional>
#include <numeric>

#include "descent/detail/param_bytes.hpp"

namespace descent {

const char* to_string(DType d) {
  switch (d) {
    case DType::f32:
      return "float32";
    case DType::bf16:
      return "bfloat16";
    case DType::f64:
      break;
  }
  return "float64";
}

void Param::check(std::size_t grad_size) const {
  if (grad_size != size_)
    throw Error("parameter '" + name_ + "': gradient has " + std::to_string(grad_size) + " values, the parameter " +
                std::to_string(size_));
  const std::size_t n = std::accumulate(shape_.begin(), shape_.end(), std::size_t{1}, std::multiplies<>());
  if (n != size_)
    throw Error("parameter '" + name_ + "': shape holds " + std::to_string(n) + " values, the parameter " +
                std::to_string(size_));
}

Param Param::as_piece(Piece piece) const {
  if (piece.offset > piece.whole || size_ > piece.whole - piece.offset)
    throw Error("parameter '" + name_ + "': a piece of " + std::to_string(size_) + " values at " +
                std::to_string(piece.offset) + " does not fit in a tensor of " + std::to_string(piece.whole));
  Param p = *this;
  p.piece_ = piece;
  return p;
}

void Param::expect(DType d) const {
  if (d != dtype_) throw Error("parameter '" + name_ + "' is " + to_string(dtype_) + ", not " + to_string(d));
}

namespace detail {

std::size_t dtype_bytes(DType d) {
  return d == DType::f64 ? sizeof(double) : d == DType::bf16 ? sizeof(bf16) : sizeof(float);
}

unsigned char* value_bytes(const Param& p) {
  switch (p.dtype()) {
    case DType::f32:
      return reinterpret_cast<unsigned char*>(p.value<float>().data());
    case DType::bf16:
      return reinterpret_cast<unsigned char*>(p.value<bf16>().data());
    case DType::f64:
      break;
  }
  return reinterpret_cast<unsigned char*>(p.value<double>().data());
}

const unsigned char* grad_bytes(const Param& p) {
  switch (p.dtype()) {
    case DType::f32:
      return reinterpret_cast<const unsigned char*>(p.grad<float>().data());
    case DType::bf16:
      return reinterpret_cast<const unsigned char*>(p.grad<bf16>().data());
    case DType::f64:
      break;
  }
  return reinterpret_cast<const unsigned char*>(p.grad<double>().data());
}

}  // namespace detail

}  // namespace descent
