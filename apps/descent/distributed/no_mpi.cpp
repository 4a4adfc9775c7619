// descent train --distributed where descent was built without MPI (no libopenmpi-dev).
#include "../experiment.hpp"
#include "descent/error.hpp"

namespace descent::cli {

void run_distributed(const LabArgs&) {
  throw OptionError(
      "--distributed: this descent was built without MPI (install libopenmpi-dev and openmpi-bin, then "
      "reconfigure)");
}

}  // namespace descent::cli
