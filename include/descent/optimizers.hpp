#pragma once
// The tutorial's five optimizers (SGD and SGDM share one rule).
#include "descent/optimizer.hpp"
#include "descent/rules/adagrad.hpp"
#include "descent/rules/adam.hpp"
#include "descent/rules/rmsprop.hpp"
#include "descent/rules/sgd.hpp"

namespace descent {

using Sgd = RuleOptimizer<rules::Sgd>;
using Adagrad = RuleOptimizer<rules::Adagrad>;
using RmsProp = RuleOptimizer<rules::RmsProp>;
using Adam = RuleOptimizer<rules::Adam>;

// Compiled once, in the library, with the flags the kernels need.
extern template class RuleOptimizer<rules::Sgd>;
extern template class RuleOptimizer<rules::Adagrad>;
extern template class RuleOptimizer<rules::RmsProp>;
extern template class RuleOptimizer<rules::Adam>;

}  // namespace descent
