"""What each convention sets, as descent options, from the conventions' own sources.

seed: the tutorial (/work/shared/reference/optimizers-tutorial.en.md in the project's shared
reference; lr 0.1, no eps), and for the rules beyond it docs/optimizers.md's seed column.
pytorch: torch.optim 1.13's constructor defaults (torch's SGD has no default lr: descent's 1e-3).
keras: Keras 3's constructor defaults, keras-team/keras keras/src/optimizers/<rule>.py, and its
base optimizer's decay, always decoupled: `variable - variable * wd * lr`
(keras/src/optimizers/base_optimizer.py, _apply_weight_decay). Keras's NAdam has no momentum
decay knob: its mu_t = beta_1*(1 - 0.5*0.96^t) (nadam.py) is torch's formula with psi = 1.

The rule each optimizer runs (docs/optimizers.md) is RULE[name]. These tables are the expected
presets; descent's own (read from its registry) are compared against them.
"""

COMMON = {"lr": 1e-3, "weight_decay": 0.0, "decoupled_weight_decay": False, "maximize": False,
          "schedule_scaled_decay": False}
SGD = {"momentum": 0.0, "dampening": 0.0, "ema": False, "nesterov": False, "buffer_starts_at_grad": True,
       "lr_in_buffer": False}
MOMENTS = {"beta1": 0.9, "beta2": 0.999}

RULE = {"sgd": "sgd", "sgdm": "sgd", "nesterov": "sgd", "adagrad": "adagrad", "rmsprop": "rmsprop", "adam": "adam",
        "adamw": "adam", "amsgrad": "adam", "adamax": "adamax", "nadam": "nadam", "radam": "radam",
        "adadelta": "adadelta", "lion": "lion", "lamb": "lamb"}

KERAS_DECAY = {"decoupled_weight_decay": True}


def _p(base, **kw):
    out = dict(COMMON)
    out.update(base)
    out.update(kw)
    return out


def _sgd(name):
    seed, pt = _p(SGD, lr=0.1), _p(SGD, lr=1e-3)
    # sgd.py's velocity, in all three (sgd's momentum is 0 until a user sets it): m_0 = 0, lr inside
    keras = _p(SGD, lr=0.01, buffer_starts_at_grad=False, lr_in_buffer=True, **KERAS_DECAY)
    if name == "sgdm":
        seed.update(momentum=0.9, ema=True, buffer_starts_at_grad=False)  # the tutorial's EMA, m_0 = 0
        pt.update(momentum=0.9)
        keras.update(momentum=0.9)
    if name == "nesterov":
        seed.update(momentum=0.9, nesterov=True)  # docs: seed is PyTorch's form
        pt.update(momentum=0.9, nesterov=True)
        keras.update(momentum=0.9, nesterov=True)
    return {"seed": seed, "pytorch": pt, "keras": keras}


def _adam(name):
    a = dict(MOMENTS, eps_hat=False, amsgrad=False)
    seed, pt = _p(a, lr=0.1, eps=0.0), _p(a, lr=1e-3, eps=1e-8)
    keras = _p(a, lr=1e-3, eps=1e-7, eps_hat=True, **KERAS_DECAY)  # adam.py: alpha = lr*sqrt(1-b2^t)/(1-b1^t)
    for o, wd in ((seed, 0.01), (pt, 0.01), (keras, 0.004)):  # AdamW: torch 0.01, Keras adamw.py 0.004
        if name == "adamw":
            o.update(decoupled_weight_decay=True, weight_decay=wd)
        if name == "amsgrad":
            o.update(amsgrad=True)
    return {"seed": seed, "pytorch": pt, "keras": keras}


def presets(name):
    if RULE[name] == "sgd":
        return _sgd(name)
    if RULE[name] == "adam":
        return _adam(name)
    table = {
        "adagrad": (dict(lr=0.1, eps=0.0), dict(lr=1e-2, eps=1e-10),
                    dict(lr=1e-3, eps=1e-7, eps_inside_sqrt=True, initial_accumulator_value=0.1, **KERAS_DECAY),
                    dict(eps_inside_sqrt=False, initial_accumulator_value=0.0, lr_decay=0.0)),
        "rmsprop": (dict(lr=0.1, beta=0.9, eps=0.0), dict(lr=1e-2, beta=0.99, eps=1e-8),
                    dict(lr=1e-3, beta=0.9, eps=1e-7, eps_inside_sqrt=True, lr_in_buffer=True, **KERAS_DECAY),
                    dict(eps_inside_sqrt=False, centered=False, momentum=0.0, lr_in_buffer=False)),
        "adamax": (dict(lr=2e-3, eps=0.0), dict(lr=2e-3, eps=1e-8),
                   dict(lr=1e-3, eps=1e-7, eps_inside_max=False, **KERAS_DECAY),
                   dict(MOMENTS, eps_inside_max=True)),
        "nadam": (dict(lr=2e-3, eps=1e-8), dict(lr=2e-3, eps=1e-8),
                  dict(lr=1e-3, eps=1e-7, momentum_decay=1.0, **KERAS_DECAY),
                  dict(MOMENTS, momentum_decay=4e-3, extra_mu=False)),
        # Keras 3 has no RAdam: its keras preset is PyTorch's (docs/optimizers.md)
        "radam": (dict(eps=1e-8), dict(eps=1e-8), dict(eps=1e-8), dict(MOMENTS)),
        "adadelta": (dict(lr=1.0, rho=0.95, eps=1e-6), dict(lr=1.0, rho=0.9, eps=1e-6),
                     dict(lr=1e-3, rho=0.95, eps=1e-7, **KERAS_DECAY), {}),
        # torch 1.13 has no Lion or LAMB: pytorch is their paper's defaults (docs/optimizers.md)
        "lion": (dict(lr=1e-4), dict(lr=1e-4), dict(lr=1e-3), dict(beta1=0.9, beta2=0.99, decoupled_weight_decay=True)),
        "lamb": (dict(eps=1e-6, trust_decay=0.01), dict(eps=1e-6, trust_decay=0.01),
                 dict(eps=1e-7, trust_decay=0.0, **KERAS_DECAY), dict(MOMENTS)),
    }
    seed, pt, keras, shared = table[name]
    return {c: _p(shared, **o) for c, o in (("seed", seed), ("pytorch", pt), ("keras", keras))}
