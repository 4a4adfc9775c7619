#!/usr/bin/env bash
# Regenerates the pictures of docs/playground.md (docs/gallery/) with `descent minimize`.
# Usage: scripts/gallery.sh [BUILD_DIR]   (builds the CLI there first if it is missing)
# The learning rates and step counts are chosen per picture, so that every path stays on it
# and the differences show; docs/playground.md explains each choice.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if [[ ! -x "$build/descent" ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build" -j2 --target descent_cli
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p docs/gallery

# picture NAME FUNCTION [descent minimize flags...]: docs/gallery/NAME.png (and .gif with --animate)
picture() {
  local name=$1 function=$2
  shift 2
  echo "== $name: descent minimize $function $*"
  "$build/descent" minimize "$function" --out "$tmp/$name" "$@"
  cp "$tmp/$name/$function.png" "docs/gallery/$name.png"
  if [[ -f "$tmp/$name/$function.gif" ]]; then cp "$tmp/$name/$function.gif" "docs/gallery/$name.gif"; fi
}

# Plain SGD must stay below 2 / (largest curvature): about 0.002 near Rosenbrock's valley floor.
picture rosenbrock rosenbrock --steps 300 --lr sgd=0.002,sgdm=0.01,adagrad=0.5,rmsprop=0.01,adam=0.05 --animate
# Curvatures 1 and 25: SGD's limit is 0.08; at 0.075 it zigzags across the valley.
picture ill-bowl ill-bowl --steps 100 --lr sgd=0.075,sgdm=0.1,adagrad=0.5,rmsprop=0.1,adam=0.1
# Start 0.001 off the ridge: SGD's escape grows by (1 + lr) per step, the adaptive ones step at once.
picture saddle saddle --steps 60 --lr 0.1
picture beale beale --steps 300 --lr sgd=0.01,sgdm=0.01,adagrad=0.5,rmsprop=0.05,adam=0.1
ls -l docs/gallery
