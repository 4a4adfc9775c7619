#include "layout.hpp"

#include <algorithm>

#include "descent/detail/lowbit.hpp"
#include "descent/detail/param_bytes.hpp"

namespace descent::mpi::detail {

Layout make_layout(const std::vector<Param>& params, std::size_t bucket_bytes, int ranks) {
  Layout l;
  const std::size_t width = descent::detail::dtype_bytes(params.empty() ? DType::f64 : params[0].dtype());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::size_t n = params[i].size();
    // A tensor larger than bucket_bytes gets a bucket of its own.
    if (l.buckets.empty() || (l.buckets.back().size > 0 && (l.buckets.back().size + n) * width > bucket_bytes))
      l.buckets.push_back({i, i, 0, {}});
    Layout::Bucket& b = l.buckets.back();
    l.bucket_of.push_back(l.buckets.size() - 1);
    l.offset.push_back(b.size);
    b.last = i + 1;
    b.size += n;
  }
  l.share.resize(std::size_t(ranks));
  for (std::size_t bi = 0; bi < l.buckets.size(); ++bi) {
    Layout::Bucket& b = l.buckets[bi];
    // The even split by elements, each cut moved back to its tensor's start or a multiple of q8's
    // 256-value blocks in it: low-bit state's blocks are the whole tensor's on any rank count. A
    // share may be empty.
    std::size_t t = b.first;  // the tensor the cut falls in
    for (int r = 0; r <= ranks; ++r) {
      const std::size_t even = b.size * std::size_t(r) / std::size_t(ranks);
      while (t + 1 < b.last && l.offset[t + 1] <= even) ++t;
      const std::size_t in = even - l.offset[t];
      b.seg.push_back(r == ranks ? b.size : l.offset[t] + in / descent::detail::q8_block * descent::detail::q8_block);
    }
    for (int r = 0; r < ranks; ++r) {
      const std::size_t lo = b.seg[std::size_t(r)], hi = b.seg[std::size_t(r) + 1];
      for (std::size_t p = b.first; p < b.last; ++p) {
        const std::size_t from = std::max(lo, l.offset[p]), to = std::min(hi, l.offset[p] + params[p].size());
        if (from < to) l.share[std::size_t(r)].push_back({p, from - l.offset[p], to - l.offset[p], bi, from});
      }
    }
  }
  return l;
}

}  // namespace descent::mpi::detail
