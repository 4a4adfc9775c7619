// A distributed run's checkpoint is one process's: the state of every parameter, whole. Under
// zero1 rank 0 assembles it from every rank's slices; restoring cuts this rank's slices out of
// it, for whatever rank count wrote it.
#include <cstring>
#include <map>

#include "descent/detail/lowbit.hpp"
#include "descent/state.hpp"
#include "impl.hpp"

namespace descent::mpi {

namespace {

// Every rank's bytes, on rank 0 (empty elsewhere).
std::vector<std::string> gather_bytes(const Comm& comm, const std::string& mine) {
  const int n = comm.size();
  std::vector<int> sizes(std::size_t(n), 0), displ(std::size_t(n), 0);
  int size = int(mine.size());
  MPI_Request q;
  MPI_Igather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, comm.get(), &q);
  comm.wait(q, "the gather of the checkpoint's sizes");
  int total = 0;
  for (int s = 0; s < n; ++s) displ[std::size_t(s)] = total, total += sizes[std::size_t(s)];
  std::string all(comm.rank() == 0 ? std::size_t(total) : 0, '\0');
  MPI_Igatherv(mine.data(), size, MPI_BYTE, all.data(), sizes.data(), displ.data(), MPI_BYTE, 0, comm.get(), &q);
  if (comm.rank() != 0) comm.count_sent(mine.size());
  comm.wait(q, "the gather of the optimizer state");
  std::vector<std::string> out;
  if (comm.rank() == 0)
    for (int s = 0; s < n; ++s)
      out.push_back(all.substr(std::size_t(displ[std::size_t(s)]), std::size_t(sizes[std::size_t(s)])));
  return out;
}

// A state slot of n elements in its two parts, each cut by elements: the values (q8: the codes)
// and q8's scales, one per 256 values. Slices start on those blocks (layout.cpp), so a
// tensor's parts are its slices' parts one after the other.
struct Parts {
  std::vector<unsigned char> values, scales;
};

std::size_t value_width(StateDType d, DType param) { return d == StateDType::q8 ? 1 : slot_bytes(d, param, 1); }

Parts split(const OptimizerState::Slot& slot, DType param, std::size_t n) {
  const std::size_t cut = n * value_width(slot.dtype, param);
  return {{slot.bytes.begin(), slot.bytes.begin() + long(cut)}, {slot.bytes.begin() + long(cut), slot.bytes.end()}};
}

// Elements [begin, end) of a whole slot of n elements.
std::vector<unsigned char> cut(const OptimizerState::Slot& slot, DType param, std::size_t n, std::size_t begin,
                               std::size_t end) {
  const Parts whole = split(slot, param, n);
  const std::size_t w = value_width(slot.dtype, param), block = descent::detail::q8_block;
  std::vector<unsigned char> out(whole.values.begin() + long(begin * w), whole.values.begin() + long(end * w));
  if (slot.dtype == StateDType::q8)
    out.insert(out.end(), whole.scales.begin() + long(begin / block * sizeof(float)),
               whole.scales.begin() + long((end + block - 1) / block * sizeof(float)));
  return out;
}

}  // namespace

Checkpoint Distributed::checkpoint() const {
  Checkpoint c;
  if (options_.mode == Mode::ddp) {  // every rank holds the whole, identical state
    if (comm_.rank() == 0) c.put_training(*optimizer_);
    return c;
  }
  Checkpoint part;
  part.put_optimizer(*optimizer_);
  const std::vector<std::string> parts = gather_bytes(comm_, part.serialize());
  if (comm_.rank() != 0) return c;
  const Impl& m = *impl_;
  std::vector<OptimizerState> states;
  for (std::size_t s = 0; s < parts.size(); ++s)
    states.push_back(Checkpoint::parse(parts[s], "rank " + std::to_string(s)).optimizer_state());
  OptimizerState whole;
  whole.optimizer = states[0].optimizer;
  whole.skipped_steps = states[0].skipped_steps;
  whole.groups = states[0].groups;
  for (std::size_t p = 0; p < params_.size(); ++p) {
    OptimizerState::Param& out = whole.params.emplace_back();
    out = {params_[p].name(), 0, params_[p].dtype(), params_[p].shape(), {}};
    std::vector<Parts> joined;
    bool first = true;
    for (std::size_t s = 0; s < m.layout.share.size(); ++s)  // rank order = element order
      for (std::size_t q = 0; q < m.layout.share[s].size(); ++q) {
        if (m.layout.share[s][q].param != p) continue;
        const OptimizerState::Param& slice = states[s].params.at(q);
        if (first) {
          out.group = slice.group;
          for (const auto& slot : slice.slots) out.slots.push_back({slot.name, {}, slot.dtype});
          joined.resize(out.slots.size());
          first = false;
        }
        if (slice.slots.size() != out.slots.size())
          throw Error("zero1: ranks keep other state slots for '" + out.name + "'");
        const detail::Slice& at = m.layout.share[s][q];
        for (std::size_t j = 0; j < slice.slots.size(); ++j) {
          if (slice.slots[j].dtype != out.slots[j].dtype)
            throw Error("zero1: ranks keep state slot '" + out.slots[j].name + "' of '" + out.name +
                        "' in other forms");
          Parts part = split(slice.slots[j], out.dtype, at.end - at.begin);
          joined[j].values.insert(joined[j].values.end(), part.values.begin(), part.values.end());
          joined[j].scales.insert(joined[j].scales.end(), part.scales.begin(), part.scales.end());
        }
      }
    for (std::size_t j = 0; j < joined.size(); ++j) {
      out.slots[j].bytes = std::move(joined[j].values);
      out.slots[j].bytes.insert(out.slots[j].bytes.end(), joined[j].scales.begin(), joined[j].scales.end());
    }
  }
  c.put_params("model/", params_);
  c.put_optimizer("optimizer", whole);
  return c;
}

void Distributed::restore(const Checkpoint& c) {
  if (options_.mode == Mode::ddp) {
    c.restore_training(*optimizer_);
    return;
  }
  const Impl& m = *impl_;
  const OptimizerState whole = c.optimizer_state("optimizer");
  std::map<std::string_view, const OptimizerState::Param*> by_name;
  for (const auto& p : whole.params) by_name[p.name] = &p;
  OptimizerState mine;
  mine.optimizer = whole.optimizer;
  mine.skipped_steps = whole.skipped_steps;
  mine.groups = whole.groups;
  for (const detail::Slice& s : m.layout.share[std::size_t(m.rank)]) {
    const Param& p = params_[s.param];
    const auto found = by_name.find(p.name());
    if (found == by_name.end())
      throw CheckpointError("checkpoint '" + c.source() + "': no optimizer state for parameter '" + p.name() + "'");
    const OptimizerState::Param& from = *found->second;
    std::size_t size = 1;
    for (std::size_t d : from.shape) size *= d;
    if (from.dtype != p.dtype() || size != p.size())
      throw CheckpointError("checkpoint '" + c.source() + "': parameter '" + p.name() + "' has another dtype or size");
    OptimizerState::Param& out = mine.params.emplace_back();
    out = {p.name(), from.group, p.dtype(), {s.end - s.begin}, {}};
    for (const auto& slot : from.slots) {
      if (slot.bytes.size() != slot_bytes(slot.dtype, p.dtype(), p.size()))
        throw CheckpointError("checkpoint '" + c.source() + "': state slot '" + slot.name + "' of '" + p.name() +
                              "' has the wrong size");
      out.slots.push_back({slot.name, cut(slot, p.dtype(), p.size(), s.begin, s.end), slot.dtype});
    }
  }
  // All or nothing: the values go back as they were if the state does not fit.
  std::vector<std::vector<unsigned char>> before;
  for (const Param& p : params_) before.emplace_back(value_bytes(p), value_bytes(p) + p.size() * m.width);
  c.restore_params("model/", params_);
  try {
    optimizer_->import_state(mine);
  } catch (const Error& e) {
    for (std::size_t i = 0; i < params_.size(); ++i)
      std::memcpy(value_bytes(params_[i]), before[i].data(), before[i].size());
    throw CheckpointError("checkpoint '" + c.source() + "': " + e.what());
  }
}

}  // namespace descent::mpi
