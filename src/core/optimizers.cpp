// The library's rules, instantiated once with the flags the kernels need (CMakeLists.txt).
#include "descent/optimizers.hpp"

#include "descent/detail/driver.hpp"

namespace descent {
template class RuleOptimizer<rules::Sgd>;
template class RuleOptimizer<rules::Adagrad>;
template class RuleOptimizer<rules::RmsProp>;
template class RuleOptimizer<rules::Adam>;
template class RuleOptimizer<rules::Adamax>;
template class RuleOptimizer<rules::NAdam>;
template class RuleOptimizer<rules::RAdam>;
template class RuleOptimizer<rules::Adadelta>;
template class RuleOptimizer<rules::Lion>;
template class RuleOptimizer<rules::Lamb>;
}  // namespace descent
