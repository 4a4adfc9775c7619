#!/usr/bin/env bash
# A rank that hangs or dies mid-run: the job must end within the timeout with a clear error,
# the last checkpoint must stay whole, and resuming it on another rank count (2, and one
# process) must reach the uninterrupted run's weights bit for bit.
#   fault_test.sh TRAIN_DIGITS WORK_DIR MPIEXEC
set -uo pipefail
train=$1 work=$2 mpiexec=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
mpirun() { "$mpiexec" --oversubscribe --bind-to none "$@"; }
fail() { echo "fault_test: $*" >&2; exit 1; }

mpirun -np 3 "$train" zero1 adam 12 full.bin >/dev/null || fail "the uninterrupted run failed"

for fault in hang die; do
  start=$(date +%s)
  mpirun -np 3 "$train" zero1 adam 12 cut.bin --save "$fault.ckpt" --save-every 4 --timeout 3 \
    --fault "$fault" --fault-rank 1 --fault-step 6 >out.txt 2>err.txt
  rc=$? elapsed=$(( $(date +%s) - start ))
  [[ $rc -ne 0 ]] || fail "$fault: the job exited 0"
  (( elapsed <= 20 )) || fail "$fault: the job took ${elapsed}s to end (timeout 3 s)"
  [[ ! -e cut.bin ]] || fail "$fault: the job wrote its final weights"
  if [[ $fault == hang ]]; then
    grep -q '^descent: rank [02] of 3: the reduce-scatter of bucket 0 did not complete within 3 s (timeout): a rank died or hangs; aborting the job$' err.txt ||
      fail "hang: no one-line timeout error; stderr was: $(cat err.txt)"
  else
    grep -qE 'process rank 1 .*exited on signal 9|rank 1 .*(died|killed|signal 9)' out.txt err.txt ||
      fail "die: no error naming the dead rank; output was: $(cat out.txt err.txt)"
  fi
  echo "$fault: ended after ${elapsed}s: $(grep -hE 'descent: rank|signal 9' err.txt out.txt | head -1)"
  [[ -z $(ls -A | grep '^\.') ]] || fail "$fault: a temporary file was left behind: $(ls -A)"
  for ranks in 2 1; do
    mpirun -np $ranks "$train" zero1 adam 12 "resumed-$ranks.bin" --resume "$fault.ckpt" >/dev/null ||
      fail "$fault: the resume on $ranks ranks failed"
    cmp -s full.bin "resumed-$ranks.bin" || fail "$fault: resumed on $ranks ranks, the weights differ from the uninterrupted run's"
  done
  rm -f resumed-*.bin
done
echo "fault_test: hang and die ended within the timeout; step-4 checkpoints resumed on 2 ranks and 1 to the same weights"
