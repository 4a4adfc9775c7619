#pragma once
// descent: gradient-descent optimizers, exact to the tutorial, PyTorch and Keras.
#include "descent/error.hpp"
#include "descent/optimizer.hpp"
#include "descent/optimizers.hpp"
#include "descent/options.hpp"
#include "descent/param.hpp"
#include "descent/registry.hpp"
#include "descent/schedule.hpp"
