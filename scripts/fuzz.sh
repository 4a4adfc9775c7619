#!/usr/bin/env bash
# Runs every fuzzer built in BUILD for SECONDS each (default 60), starting from the committed
# seeds in fuzz/corpus/<target>/. What the fuzzers find is kept under BUILD/fuzz-work/ (the
# committed corpus is never modified); a crash stops the script with the fuzzer's report and
# the input that caused it (BUILD/fuzz-work/crash-*), which reproduces with: BUILD/<target> FILE
# Usage: scripts/fuzz.sh BUILD [SECONDS]
set -euo pipefail
build=${1:?usage: scripts/fuzz.sh BUILD [SECONDS]}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$build/fuzz-work"
mkdir -p "$work"
for fuzzer in "$build"/fuzz_*; do
  [[ -x "$fuzzer" && -f "$fuzzer" ]] || continue
  name=$(basename "$fuzzer")
  mkdir -p "$work/$name"
  echo "fuzz: $name for ${seconds}s"
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a leak or a huge allocation.
  if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/$name" "$root/fuzz/corpus/$name" >"$work/$name.log" 2>&1; then
    tail -n 60 "$work/$name.log"
    echo "fuzz: $name FAILED (log: $work/$name.log)" >&2
    exit 1
  fi
  grep -E "^Done|number_of_executed_units|new_units_added" "$work/$name.log" | sed "s/^/  /"
done
