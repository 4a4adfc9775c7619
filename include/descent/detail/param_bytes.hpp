#pragma once
// A parameter's memory as bytes, whatever its dtype: for the code that moves values without
// computing on them (checkpoints, descent::mpi).
#include <cstddef>

#include "descent/param.hpp"

namespace descent::detail {

std::size_t dtype_bytes(DType d);  // 4, 8 or 2
unsigned char* value_bytes(const Param& p);
const unsigned char* grad_bytes(const Param& p);

}  // namespace descent::detail
