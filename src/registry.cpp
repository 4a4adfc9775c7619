#include "descent/registry.hpp"

#include "descent/optimizers.hpp"

namespace descent {

const std::vector<OptimizerInfo>& optimizers() {
  static const std::vector<OptimizerInfo> all{
      {"sgd", "plain gradient descent", "w_{t+1} = w_t - lr*g_t", "", "", ""},
      {"sgdm", "SGD with momentum", "m_t = b*m_{t-1} + (1-b)*g_t;  w_{t+1} = w_t - lr*m_t", "momentum", "", ""},
      {"adagrad", "per-parameter rate from the sum of squared gradients",
       "V_t = V_{t-1} + g_t^2;  w_{t+1} = w_t - lr*g_t/sqrt(V_t)", "", "", ""},
      {"rmsprop", "per-parameter rate from a moving average of squared gradients",
       "V_t = b*V_{t-1} + (1-b)*g_t^2;  w_{t+1} = w_t - lr*g_t/sqrt(V_t)", "beta", "", ""},
      {"adam", "momentum and RMSProp, both bias-corrected",
       "m_t = b1*m_{t-1} + (1-b1)*g_t;  V_t = b2*V_{t-1} + (1-b2)*g_t^2;  "
       "w_{t+1} = w_t - lr*(m_t/(1-b1^t))/sqrt(V_t/(1-b2^t))",
       "", "beta1", "beta2"},
  };
  return all;
}

const OptimizerInfo& optimizer_info(std::string_view name) {
  std::string names;
  for (const auto& info : optimizers()) {
    if (info.name == name) return info;
    names += (names.empty() ? "" : ", ") + std::string(info.name);
  }
  throw OptionError("unknown optimizer '" + std::string(name) + "' (expected one of " + names + ")");
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view name, std::vector<Param> params, Convention c,
                                          const std::vector<std::pair<std::string, std::string>>& overrides) {
  const OptimizerInfo& info = optimizer_info(name);
  auto with = [&]<class O>(typename O::Options options) -> std::unique_ptr<Optimizer> {
    for (const auto& [key, text] : overrides) set_option(info.name, options, key, text);
    return std::make_unique<O>(std::move(params), std::move(options));
  };
  if (name == "sgd") return with.template operator()<Sgd>(SgdOptions::preset(c));
  if (name == "sgdm") return with.template operator()<Sgd>(SgdOptions::momentum_preset(c));
  if (name == "adagrad") return with.template operator()<Adagrad>(AdagradOptions::preset(c));
  if (name == "rmsprop") return with.template operator()<RmsProp>(RmsPropOptions::preset(c));
  return with.template operator()<Adam>(AdamOptions::preset(c));
}

}  // namespace descent
