// A distributed run's checkpoint is one process's: the state of every parameter, whole. Under
// zero1 rank 0 assembles it from every rank's slices; restoring cuts this rank's slices out of
// it, for whatever rank count wrote it.
#include <cstring>
#include <map>

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

}  // namespace

Checkpoint Distributed::checkpoint() const {
  Checkpoint c;
  if (options_.mode == Mode::zero1) require_f32_state(*optimizer_);
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
    bool first = true;
    for (std::size_t s = 0; s < m.layout.share.size(); ++s)  // rank order = element order
      for (std::size_t q = 0; q < m.layout.share[s].size(); ++q) {
        if (m.layout.share[s][q].param != p) continue;
        const OptimizerState::Param& slice = states[s].params.at(q);
        if (first) {
          out.group = slice.group;
          for (const auto& slot : slice.slots) out.slots.push_back({slot.name, {}});
          first = false;
        }
        if (slice.slots.size() != out.slots.size())
          throw Error("zero1: ranks keep other state slots for '" + out.name + "'");
        for (std::size_t j = 0; j < slice.slots.size(); ++j)
          out.slots[j].bytes.insert(out.slots[j].bytes.end(), slice.slots[j].bytes.begin(), slice.slots[j].bytes.end());
      }
  }
  c.put_params("model/", params_);
  c.put_optimizer("optimizer", whole);
  return c;
}

void Distributed::restore(const Checkpoint& c) {
  if (options_.mode == Mode::zero1) require_f32_state(*optimizer_);
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
      if (slot.bytes.size() != p.size() * m.width)
        throw CheckpointError("checkpoint '" + c.source() + "': state slot '" + slot.name + "' of '" + p.name() +
                              "' has the wrong size");
      out.slots.push_back({slot.name, std::vector<unsigned char>(slot.bytes.begin() + long(s.begin * m.width),
                                                                 slot.bytes.begin() + long(s.end * m.width))});
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
