#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "descent/bf16.hpp"
#include "descent/clip.hpp"
#include "descent/crc32c.hpp"
#include "descent/detail/grad_squares.hpp"
#include "impl.hpp"

namespace descent::mpi {

Mode parse_mode(std::string_view name) {
  if (name == "ddp") return Mode::ddp;
  if (name == "zero1") return Mode::zero1;
  throw OptionError("distributed mode '" + std::string(name) + "' is unknown (expected ddp or zero1)");
}

const char* to_string(Mode m) { return m == Mode::ddp ? "ddp" : "zero1"; }

namespace {

// out[e] = 0 + in[0·len + e] + in[1·len + e] + … , one piece after the other: the fixed order.
template <class T>
void sum_pieces(const unsigned char* in_bytes, std::size_t count, std::size_t len, std::size_t stride,
                unsigned char* out_bytes) {
  const T* in = reinterpret_cast<const T*>(in_bytes);
  T* out = reinterpret_cast<T*>(out_bytes);
  std::fill_n(out, len, T(0));
  for (std::size_t q = 0; q < count; ++q)
    for (std::size_t e = 0; e < len; ++e) out[e] += in[q * stride + e];
}

// bfloat16 pieces: the same sum in float32 (each piece widened exactly), rounded once to nearest.
void sum_bf16_pieces(const unsigned char* in_bytes, std::size_t count, std::size_t len, std::size_t stride,
                     unsigned char* out_bytes) {
  const auto* in = reinterpret_cast<const std::uint16_t*>(in_bytes);
  auto* out = reinterpret_cast<std::uint16_t*>(out_bytes);
  for (std::size_t e = 0; e < len; ++e) {
    float sum = 0;
    for (std::size_t q = 0; q < count; ++q) sum += descent::detail::bf16_decode(in[q * stride + e]);
    out[e] = descent::detail::bf16_nearest(sum);
  }
}

void sum_pieces(MPI_Datatype type, const unsigned char* in, std::size_t count, std::size_t len, std::size_t stride,
                unsigned char* out) {
  if (type == MPI_UINT16_T)
    sum_bf16_pieces(in, count, len, stride, out);
  else if (type == MPI_FLOAT)
    sum_pieces<float>(in, count, len, stride, out);
  else
    sum_pieces<double>(in, count, len, stride, out);
}

void check(const std::vector<Param>& params, const DistributedOptions& o) {
  if (params.empty()) throw Error("distributed training needs at least one parameter");
  for (const Param& p : params)
    if (p.dtype() != params[0].dtype())
      throw Error("parameter '" + p.name() + "' is " + to_string(p.dtype()) + ", '" + params[0].name() + "' is " +
                  to_string(params[0].dtype()) + ": distributed parameters share one dtype");
  if (o.pieces < 1 || o.pieces > 1024)
    throw OptionError("pieces " + std::to_string(o.pieces) + " is out of range [1, 1024]");
  if (o.bucket_bytes < 1) throw OptionError("bucket_bytes 0 is out of range [1, inf)");
  if (o.order == Order::mpi && o.mode == Mode::zero1)
    throw OptionError("order mpi is for ddp only (zero1 reduce-scatters in the fixed order)");
  if (o.order == Order::mpi && params[0].dtype() == DType::bf16)
    throw OptionError(
        "order mpi is for float32 and float64 parameters (MPI has no bfloat16 sum; the fixed order "
        "sums bfloat16 gradients in float32)");
}

}  // namespace

Distributed::Distributed(const Comm& comm, std::vector<Param> params, const MakeOptimizer& make,
                         DistributedOptions options)
    : comm_(comm), options_(options), params_(std::move(params)), impl_(std::make_unique<Impl>()) {
  check(params_, options_);
  Impl& m = *impl_;
  m.ranks = comm.size();
  m.rank = comm.rank();
  m.pieces = options_.pieces;
  const DType dtype = params_[0].dtype();  // bfloat16 travels as its bits
  m.type = dtype == DType::f32 ? MPI_FLOAT : dtype == DType::f64 ? MPI_DOUBLE : MPI_UINT16_T;
  m.width = descent::detail::dtype_bytes(dtype);
  m.layout = detail::make_layout(params_, options_.bucket_bytes, m.ranks);
  const std::size_t N = std::size_t(m.ranks), k = std::size_t(m.pieces), r = std::size_t(m.rank);
  for (const auto& b : m.layout.buckets)
    if (b.size * k > std::size_t(INT_MAX))
      throw Error("a bucket of " + std::to_string(b.size) + " elements is too large");

  // Every rank must hold the same parameters: compare a checksum of names and sizes, then start
  // from rank 0's values.
  std::string names;
  for (const Param& p : params_) names += p.name() + ":" + std::to_string(p.size()) + ";";
  const long long crc = crc32c(names.data(), names.size());
  long long sum[2] = {crc, -crc}, range[2];
  MPI_Request q;
  MPI_Iallreduce(sum, range, 2, MPI_LONG_LONG, MPI_MAX, comm.get(), &q);
  comm.wait(q, "the check of the parameters' names and sizes");
  if (range[0] != -range[1]) comm.fail("the ranks hold parameters of other names or sizes");
  for (const Param& p : params_) {
    MPI_Ibcast(value_bytes(p), int(p.size()), m.type, 0, comm.get(), &q);
    comm.wait(q, "the broadcast of the initial parameters");
  }

  m.runs.resize(m.layout.buckets.size());
  for (std::size_t bi = 0; bi < m.runs.size(); ++bi) {
    const auto& b = m.layout.buckets[bi];
    Impl::Run& run = m.runs[bi];
    run.send.resize(b.size * k * m.width);
    run.have.assign(k, 0);
    for (std::size_t s = 0; s < N; ++s) {
      run.scount.push_back(int(b.len(int(s)) * k));
      run.sdispl.push_back(int(b.seg[s] * k));
      run.rcount.push_back(int(b.len(int(r)) * k));
      run.rdispl.push_back(int(s * b.len(int(r)) * k));
      run.gcount.push_back(int(b.len(int(s))));
      run.gdispl.push_back(int(b.seg[s]));
    }
    if (options_.order == Order::fixed) run.recv.resize(N * k * b.len(int(r)) * m.width);
    run.grad.resize((options_.mode == Mode::ddp ? b.size : b.len(int(r))) * m.width);
    if (options_.mode == Mode::zero1) run.values.resize(b.size * m.width);
  }

  std::vector<Param> views;
  auto view = [&](const Param& p, std::size_t begin, std::size_t len, const unsigned char* grad, Shape shape) {
    if (m.type == MPI_FLOAT)
      return Param(p.name(), p.value<float>().data() + begin, reinterpret_cast<const float*>(grad), len, shape);
    if (m.type == MPI_UINT16_T)
      return Param(p.name(), p.value<bf16>().data() + begin, reinterpret_cast<const bf16*>(grad), len, shape);
    return Param(p.name(), p.value<double>().data() + begin, reinterpret_cast<const double*>(grad), len, shape);
  };
  if (options_.mode == Mode::ddp) {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const unsigned char* grad = m.runs[m.layout.bucket_of[i]].grad.data() + m.layout.offset[i] * m.width;
      views.push_back(view(params_[i], 0, params_[i].size(), grad, params_[i].shape()));
    }
  } else {
    for (const detail::Slice& s : m.layout.share[r]) {
      const auto& b = m.layout.buckets[s.bucket];
      const unsigned char* grad = m.runs[s.bucket].grad.data() + (s.at - b.seg[r]) * m.width;
      views.push_back(view(params_[s.param], s.begin, s.end - s.begin, grad, {})
                          .as_piece({s.param, s.begin, params_[s.param].size()}));
    }
  }
  optimizer_ = make(std::move(views));
  if (!optimizer_) throw Error("the optimizer factory returned no optimizer");
  if (options_.mode == Mode::zero1) {
    // LAMB's per-tensor sums: each rank has the sums of its slices; a tensor's sums are those of
    // all its slices, added in rank order (the order of the flat space) from 0.
    optimizer_->set_sums_hook([this](std::span<double> sums, std::size_t width) {
      const std::vector<double> totals = tensor_sums(sums, width);
      const auto& mine = impl_->layout.share[std::size_t(impl_->rank)];
      for (std::size_t i = 0; i < mine.size(); ++i)
        for (std::size_t j = 0; j < width; ++j) sums[i * width + j] = totals[mine[i].param * width + j];
    });
  }
}

Distributed::~Distributed() = default;

std::vector<double> Distributed::tensor_sums(std::span<const double> mine, std::size_t width) const {
  Impl& m = *impl_;
  std::vector<int> count, displ;
  int total = 0;
  for (const auto& share : m.layout.share) {
    count.push_back(int(share.size() * width));
    displ.push_back(total);
    total += count.back();
  }
  if (mine.size() != std::size_t(count[std::size_t(m.rank)])) throw Error("tensor_sums: one sum per slice expected");
  m.all_sums.assign(std::size_t(total), 0.0);
  MPI_Request q;
  MPI_Iallgatherv(mine.data(), count[std::size_t(m.rank)], MPI_DOUBLE, m.all_sums.data(), count.data(), displ.data(),
                  MPI_DOUBLE, comm_.get(), &q);
  comm_.count_sent(std::uint64_t(count[std::size_t(m.rank)]) * sizeof(double) * std::uint64_t(m.ranks - 1));
  comm_.wait(q, "the all-gather of the per-tensor sums");
  std::vector<double> totals(params_.size() * width, 0.0);
  for (std::size_t s = 0; s < m.layout.share.size(); ++s)  // rank order: the order of the elements
    for (std::size_t i = 0; i < m.layout.share[s].size(); ++i)
      for (std::size_t j = 0; j < width; ++j)
        totals[m.layout.share[s][i].param * width + j] += m.all_sums[std::size_t(displ[s]) + i * width + j];
  return totals;
}

double Distributed::clip_grad_norm(double max_norm) {
  reduce();
  if (options_.mode == Mode::ddp) return descent::clip_grad_norm(*optimizer_, max_norm);  // whole gradients here
  if (!(max_norm > 0)) throw OptionError("clip: max_norm = " + std::to_string(max_norm) + " is out of range (0, inf)");
  // Σg² of each slice in the chunks clip.cpp sums a tensor in, then each tensor's from its slices.
  const std::vector<double> totals = tensor_sums(descent::detail::grad_squares(*optimizer_), 1);
  const double scale = std::abs(optimizer_->grad_scale(0));  // 1/(ranks·pieces), the same for every tensor
  double s = 0;  // as global_grad_norm: the norm of the tensors' norms, in tensor order
  for (double t : totals) {
    const double n = std::sqrt(t) * scale;
    s += n * n;
  }
  const double norm = std::sqrt(s), coef = std::min(1.0, max_norm / (norm + 1e-6));
  for (std::size_t i = 0; i < optimizer_->params().size(); ++i)
    optimizer_->set_grad_scale(i, optimizer_->grad_scale(i) * coef);
  return norm;
}

std::size_t Distributed::bucket_count() const { return impl_->layout.buckets.size(); }
std::size_t Distributed::bucket_of(std::size_t param) const { return impl_->layout.bucket_of.at(param); }

void Distributed::add(int piece) {
  for (std::size_t b = bucket_count(); b-- > 0;) add(b, piece);
}

void Distributed::add(std::size_t bucket, int piece) {
  Impl& m = *impl_;
  if (bucket >= m.runs.size()) throw Error("add: no bucket " + std::to_string(bucket));
  if (piece < 0 || piece >= m.pieces)
    throw Error("add: piece " + std::to_string(piece) + " is out of range [0, " + std::to_string(m.pieces - 1) + "]");
  Impl::Run& run = m.runs[bucket];
  if (run.stage != Impl::Run::filling || run.have[std::size_t(piece)])
    throw Error("add: piece " + std::to_string(piece) + " of bucket " + std::to_string(bucket) +
                " was already added this step");
  const auto& b = m.layout.buckets[bucket];
  const std::size_t k = std::size_t(m.pieces), j = std::size_t(piece);
  // Piece j of segment s goes to send[k·seg[s] + j·len(s) + (e − seg[s])].
  for (std::size_t p = b.first; p < b.last; ++p) {
    const std::size_t lo = m.layout.offset[p], hi = lo + params_[p].size();
    const unsigned char* g = grad_bytes(params_[p]);
    for (int s = 0; s < m.ranks; ++s) {
      const std::size_t from = std::max(lo, b.seg[std::size_t(s)]), to = std::min(hi, b.seg[std::size_t(s) + 1]);
      if (from >= to) continue;
      const std::size_t at = k * b.seg[std::size_t(s)] + j * b.len(s) + (from - b.seg[std::size_t(s)]);
      std::memcpy(run.send.data() + at * m.width, g + (from - lo) * m.width, (to - from) * m.width);
    }
  }
  run.have[j] = 1;
  if (++run.in < m.pieces) return;
  const std::size_t own = b.len(m.rank);
  if (options_.order == Order::fixed) {
    MPI_Ialltoallv(run.send.data(), run.scount.data(), run.sdispl.data(), m.type, run.recv.data(), run.rcount.data(),
                   run.rdispl.data(), m.type, comm_.get(), &run.request);
    comm_.count_sent((b.size - own) * k * m.width);
  } else {
    for (int s = 0; s < m.ranks; ++s)
      sum_pieces(m.type, run.send.data() + k * b.seg[std::size_t(s)] * m.width, k, b.len(s), b.len(s),
                 run.grad.data() + b.seg[std::size_t(s)] * m.width);
    MPI_Iallreduce(MPI_IN_PLACE, run.grad.data(), int(b.size), m.type, MPI_SUM, comm_.get(), &run.request);
  }
  run.stage = Impl::Run::scattering;
  for (Impl::Run& other : m.runs)  // let the others' collectives advance meanwhile
    if (other.request != MPI_REQUEST_NULL) comm_.test(&other.request, 1);
}

void Distributed::reduce() {
  Impl& m = *impl_;
  if (m.reduced) return;
  const std::size_t k = std::size_t(m.pieces), N = std::size_t(m.ranks);
  for (std::size_t bi = 0; bi < m.runs.size(); ++bi)
    if (m.runs[bi].stage == Impl::Run::filling)
      throw Error("reduce: bucket " + std::to_string(bi) + " has " + std::to_string(m.runs[bi].in) + " of " +
                  std::to_string(k) + " pieces");
  for (std::size_t bi = 0; bi < m.runs.size(); ++bi) {
    Impl::Run& run = m.runs[bi];
    const auto& b = m.layout.buckets[bi];
    comm_.wait(run.request, "the reduce-scatter of bucket " + std::to_string(bi));
    if (options_.order == Order::mpi) {
      run.stage = Impl::Run::reduced;
      continue;
    }
    const std::size_t own = b.len(m.rank);
    unsigned char* out = run.grad.data() + (options_.mode == Mode::ddp ? b.seg[std::size_t(m.rank)] * m.width : 0);
    sum_pieces(m.type, run.recv.data(), N * k, own, own, out);
    if (options_.mode == Mode::zero1) {
      run.stage = Impl::Run::reduced;
      continue;
    }
    MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, run.grad.data(), run.gcount.data(), run.gdispl.data(), m.type,
                    comm_.get(), &run.request);
    comm_.count_sent(own * m.width * (N - 1));
    run.stage = Impl::Run::gathering;
  }
  for (std::size_t bi = 0; bi < m.runs.size(); ++bi) {
    Impl::Run& run = m.runs[bi];
    if (run.stage != Impl::Run::gathering) continue;
    comm_.wait(run.request, "the all-gather of bucket " + std::to_string(bi) + "'s gradients");
    run.stage = Impl::Run::reduced;
  }
  optimizer_->set_grad_scale(1.0 / double(N * k));  // the mean of the N·k pieces, folded into the step
  m.reduced = true;
}

void Distributed::step() {
  reduce();
  Impl& m = *impl_;
  optimizer_->step();
  if (options_.mode == Mode::zero1) {
    // Every rank's share of the parameters, to every rank.
    const std::size_t r = std::size_t(m.rank);
    for (const detail::Slice& s : m.layout.share[r])
      std::memcpy(m.runs[s.bucket].values.data() + s.at * m.width, value_bytes(params_[s.param]) + s.begin * m.width,
                  (s.end - s.begin) * m.width);
    std::vector<MPI_Request> requests(m.runs.size());
    for (std::size_t bi = 0; bi < m.runs.size(); ++bi) {
      Impl::Run& run = m.runs[bi];
      MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, run.values.data(), run.gcount.data(), run.gdispl.data(),
                      m.type, comm_.get(), &requests[bi]);
      comm_.count_sent(m.layout.buckets[bi].len(m.rank) * m.width * std::size_t(m.ranks - 1));
    }
    comm_.wait(requests.data(), int(requests.size()), "the all-gather of the parameters");
    for (std::size_t bi = 0; bi < m.runs.size(); ++bi) {
      const auto& b = m.layout.buckets[bi];
      for (std::size_t p = b.first; p < b.last; ++p)
        std::memcpy(value_bytes(params_[p]), m.runs[bi].values.data() + m.layout.offset[p] * m.width,
                    params_[p].size() * m.width);
    }
  }
  for (Impl::Run& run : m.runs) {
    run.stage = Impl::Run::filling;
    run.in = 0;
    std::fill(run.have.begin(), run.have.end(), 0);
  }
  m.reduced = false;
}

std::size_t Distributed::state_bytes() const { return optimizer_->state_bytes(); }

}  // namespace descent::mpi
