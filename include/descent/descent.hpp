#pragma once
// descent: gradient-descent optimizers, exact to the tutorial, PyTorch and Keras.
#include "descent/accumulate.hpp"
#include "descent/average.hpp"
#include "descent/clip.hpp"
#include "descent/decay.hpp"
#include "descent/error.hpp"
#include "descent/optimizer.hpp"
#include "descent/optimizers.hpp"
#include "descent/options.hpp"
#include "descent/param.hpp"
#include "descent/registry.hpp"
#include "descent/schedule.hpp"
