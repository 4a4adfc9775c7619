#!/usr/bin/env bash
# Installs the Debian packages descent needs, only those missing. Usage:
#   scripts/setup.sh          what building, testing (the Python package against Debian's PyTorch
#                             and NumPy too) and the demo need
#   scripts/setup.sh torch    also scikit-learn (goldens and benchmarks)
#   scripts/setup.sh fuzz     also clang and its libFuzzer/sanitizer runtimes (make fuzz)
#   scripts/setup.sh format   also clang-format (make format-check)
set -euo pipefail

packages=(g++ make cmake pkg-config libomp-dev libeigen3-dev libcli11-dev nlohmann-json3-dev libfmt-dev
          libgtest-dev libgmock-dev libbenchmark-dev libhwy-dev gnuplot-nox time ccache
          # the Python package (make test): Debian's Python, its venv and headers, NumPy, PyTorch 1.13
          python3 python3-dev python3-venv python3-numpy python3-torch
          # distributed training (descent::mpi) and its tests under mpirun
          libopenmpi-dev openmpi-bin
          # the playground page (make web) and its tests: WebAssembly, Node, headless Chromium
          emscripten node-acorn nodejs chromium chromium-driver)
if [[ "${1:-}" == torch ]]; then
  packages+=(python3-sklearn)
fi
if [[ "${1:-}" == format ]]; then
  packages+=(clang-format)
fi
if [[ "${1:-}" == fuzz ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
