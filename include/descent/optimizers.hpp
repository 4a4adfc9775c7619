#pragma once
// Every rule of the library: the tutorial's five (SGD and SGDM share one rule) and the family
// beyond it. Nesterov, AdamW and AMSGrad are presets of Sgd and Adam (registry.cpp).
#include "descent/optimizer.hpp"
#include "descent/rules/adadelta.hpp"
#include "descent/rules/adagrad.hpp"
#include "descent/rules/adam.hpp"
#include "descent/rules/adamax.hpp"
#include "descent/rules/lamb.hpp"
#include "descent/rules/lion.hpp"
#include "descent/rules/nadam.hpp"
#include "descent/rules/radam.hpp"
#include "descent/rules/rmsprop.hpp"
#include "descent/rules/sgd.hpp"

namespace descent {

using Sgd = RuleOptimizer<rules::Sgd>;
using Adagrad = RuleOptimizer<rules::Adagrad>;
using RmsProp = RuleOptimizer<rules::RmsProp>;
using Adam = RuleOptimizer<rules::Adam>;
using Adamax = RuleOptimizer<rules::Adamax>;
using NAdam = RuleOptimizer<rules::NAdam>;
using RAdam = RuleOptimizer<rules::RAdam>;
using Adadelta = RuleOptimizer<rules::Adadelta>;
using Lion = RuleOptimizer<rules::Lion>;
using Lamb = RuleOptimizer<rules::Lamb>;

// Compiled once, in the library, with the flags the kernels need.
extern template class RuleOptimizer<rules::Sgd>;
extern template class RuleOptimizer<rules::Adagrad>;
extern template class RuleOptimizer<rules::RmsProp>;
extern template class RuleOptimizer<rules::Adam>;
extern template class RuleOptimizer<rules::Adamax>;
extern template class RuleOptimizer<rules::NAdam>;
extern template class RuleOptimizer<rules::RAdam>;
extern template class RuleOptimizer<rules::Adadelta>;
extern template class RuleOptimizer<rules::Lion>;
extern template class RuleOptimizer<rules::Lamb>;

}  // namespace descent
