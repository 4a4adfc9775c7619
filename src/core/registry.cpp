#include "descent/registry.hpp"

#include "descent/decay.hpp"
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
      {"nesterov", "SGD with Nesterov momentum: the gradient at the look-ahead point",
       "m_t = b*m_{t-1} + g_t;  w_{t+1} = w_t - lr*(g_t + b*m_t)", "momentum", "", ""},
      {"adamw", "Adam with decoupled weight decay", "w_t <- (1-lr*wd)*w_t;  then Adam's step", "", "beta1", "beta2"},
      {"amsgrad", "Adam dividing by the largest second moment so far",
       "v_max_t = max(v_max_{t-1}, V_t);  w_{t+1} = w_t - lr*m_hat_t/(sqrt(v_max_t/(1-b2^t)) + eps)", "", "beta1",
       "beta2"},
      {"adamax", "Adam with the infinity norm for the second moment",
       "m_t = b1*m_{t-1} + (1-b1)*g_t;  u_t = max(b2*u_{t-1}, |g_t|);  w_{t+1} = w_t - lr/(1-b1^t)*m_t/u_t", "",
       "beta1", "beta2"},
      {"nadam", "Adam with Nesterov momentum",
       "mu_t = b1*(1-0.5*0.96^(t*psi));  w_{t+1} = w_t - lr*((1-mu_t)/(1-prod mu)*g_t + mu_{t+1}/(1-prod' mu)*m_t)"
       "/(sqrt(V_hat_t) + eps)",
       "", "beta1", "beta2"},
      {"radam", "Adam with its adaptive rate rectified, and off while its variance is intractable",
       "rho_t = rho_inf - 2t*b2^t/(1-b2^t);  w_{t+1} = w_t - lr*(rho_t > 5 ? r_t*m_hat_t/(sqrt(V_hat_t)+eps) : "
       "m_hat_t)",
       "", "beta1", "beta2"},
      {"adadelta", "steps sized by the running RMS of past steps over that of gradients",
       "V_t = r*V_{t-1} + (1-r)*g_t^2;  D_t = sqrt(U_{t-1}+eps)/sqrt(V_t+eps)*g_t;  U_t = r*U_{t-1} + (1-r)*D_t^2;  "
       "w_{t+1} = w_t - lr*D_t",
       "rho", "", ""},
      {"lion", "the sign of an interpolation of momentum and gradient",
       "c_t = b1*m_{t-1} + (1-b1)*g_t;  w_{t+1} = w_t - lr*(sign(c_t) + wd*w_t);  m_t = b2*m_{t-1} + (1-b2)*g_t", "",
       "beta1", "beta2"},
      {"lamb", "Adam's step scaled per tensor by the trust ratio ||w||/||r||",
       "r_t = m_hat_t/(sqrt(V_hat_t) + eps) + wd*w_t;  w_{t+1} = w_t - lr*(||w_t||/||r_t||)*r_t", "", "beta1", "beta2"},
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
                                          const std::vector<std::pair<std::string, std::string>>& overrides,
                                          const std::vector<std::string>& no_decay) {
  const OptimizerInfo& info = optimizer_info(name);
  auto with = [&]<class O>(typename O::Options options) -> std::unique_ptr<Optimizer> {
    for (const auto& [key, text] : overrides) set_option(info.name, options, key, text);
    if (no_decay.empty()) return std::make_unique<O>(std::move(params), std::move(options));
    DecaySplit split = split_no_decay(std::move(params), no_decay);
    auto opt = std::make_unique<O>(std::move(split.decay), options);
    if (!split.no_decay.empty()) {
      options.weight_decay = 0;
      opt->add_group(std::move(split.no_decay), std::move(options));
    }
    return opt;
  };
  if (name == "sgd") return with.template operator()<Sgd>(SgdOptions::preset(c));
  if (name == "sgdm") return with.template operator()<Sgd>(SgdOptions::momentum_preset(c));
  if (name == "adagrad") return with.template operator()<Adagrad>(AdagradOptions::preset(c));
  if (name == "rmsprop") return with.template operator()<RmsProp>(RmsPropOptions::preset(c));
  if (name == "adam") return with.template operator()<Adam>(AdamOptions::preset(c));
  if (name == "nesterov") return with.template operator()<Sgd>(SgdOptions::nesterov_preset(c));
  if (name == "adamw") return with.template operator()<Adam>(AdamOptions::adamw_preset(c));
  if (name == "amsgrad") return with.template operator()<Adam>(AdamOptions::amsgrad_preset(c));
  if (name == "adamax") return with.template operator()<Adamax>(AdamaxOptions::preset(c));
  if (name == "nadam") return with.template operator()<NAdam>(NAdamOptions::preset(c));
  if (name == "radam") return with.template operator()<RAdam>(RAdamOptions::preset(c));
  if (name == "adadelta") return with.template operator()<Adadelta>(AdadeltaOptions::preset(c));
  if (name == "lion") return with.template operator()<Lion>(LionOptions::preset(c));
  if (name == "lamb") return with.template operator()<Lamb>(LambOptions::preset(c));
  throw OptionError("optimizer '" + std::string(name) + "' is listed but not built (src/core/registry.cpp)");
}

}  // namespace descent
