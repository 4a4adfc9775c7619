#pragma once
// Where every element of the flat parameter space goes: whole tensors packed into buckets in
// parameter order, each bucket cut into one contiguous segment per rank (an even split by
// elements, each cut moved back to a tensor's start or a multiple of 256 in it), and each rank's
// share as slices of tensors. Every rank computes the same layout from the parameters' sizes.
#include <cstddef>
#include <vector>

#include "descent/param.hpp"

namespace descent::mpi::detail {

struct Slice {
  std::size_t param;       // index into the caller's params
  std::size_t begin, end;  // elements [begin, end) of that tensor
  std::size_t bucket;
  std::size_t at;  // where the slice starts in its bucket's flat space
};

struct Layout {
  struct Bucket {
    std::size_t first = 0, last = 0;  // params [first, last)
    std::size_t size = 0;             // elements
    std::vector<std::size_t> seg;     // ranks + 1 boundaries: rank r owns [seg[r], seg[r + 1])
    std::size_t len(int r) const { return seg[std::size_t(r) + 1] - seg[std::size_t(r)]; }
  };
  std::vector<Bucket> buckets;
  std::vector<std::size_t> bucket_of;     // per param
  std::vector<std::size_t> offset;        // per param: its first element in its bucket
  std::vector<std::vector<Slice>> share;  // per rank: its slices in flat order, at most one per tensor
};

Layout make_layout(const std::vector<Param>& params, std::size_t bucket_bytes, int ranks);

}  // namespace descent::mpi::detail
