// The rule-independent half of import_state: does a state belong to this optimizer's
// parameters? (The rule's half, options and slot sets, is in detail/driver.hpp.)
#include <map>
#include <string>

#include "descent/optimizer.hpp"

namespace descent {

static std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::vector<std::size_t> Optimizer::match_state(const OptimizerState& s) const {
  const std::string me(name());
  if (s.optimizer != me) throw Error("state is for optimizer '" + s.optimizer + "', not '" + me + "'");
  if (s.groups.size() != group_count())
    throw Error(me + ": state has " + std::to_string(s.groups.size()) + " parameter groups, the optimizer " +
                std::to_string(group_count()));
  if (s.skipped_steps < 0) throw Error(me + ": state has a negative count of skipped steps");
  std::map<std::string_view, std::size_t> by_name;
  for (std::size_t k = 0; k < s.params.size(); ++k)
    if (!by_name.emplace(s.params[k].name, k).second)
      throw Error(me + ": state has parameter '" + s.params[k].name + "' twice");
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    auto it = by_name.find(p.name());
    if (it == by_name.end()) throw Error(me + ": state has no parameter '" + p.name() + "'");
    const OptimizerState::Param& from = s.params[it->second];
    by_name.erase(it);
    if (from.group != group_of_[i])
      throw Error(me + ": parameter '" + p.name() + "' is in group " + std::to_string(from.group) +
                  " in the state, group " + std::to_string(group_of_[i]) + " here");
    if (from.dtype != p.dtype())
      throw Error(me + ": parameter '" + p.name() + "' is " + to_string(from.dtype) + " in the state, " +
                  to_string(p.dtype()) + " here");
    if (from.shape != p.shape())
      throw Error(me + ": parameter '" + p.name() + "' has shape " + shape_text(from.shape) + " in the state, " +
                  shape_text(p.shape()) + " here");
    for (const OptimizerState::Slot& slot : from.slots)
      if (const std::size_t bytes = slot_bytes(slot.dtype, p.dtype(), p.size()); slot.bytes.size() != bytes)
        throw Error(me + ": state slot '" + slot.name + "' of parameter '" + p.name() + "' has " +
                    std::to_string(slot.bytes.size()) + " bytes, expected " + std::to_string(bytes) + " (" +
                    to_string(slot.dtype) + ")");
    order.push_back(std::size_t(&from - s.params.data()));
  }
  if (!by_name.empty())
    throw Error(me + ": state has parameter '" + std::string(by_name.begin()->first) +
                "', which the optimizer does not have");
  return order;
}

}  // namespace descent
