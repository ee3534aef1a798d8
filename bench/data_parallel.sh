#!/usr/bin/env bash
# Data-parallel training throughput on this machine (docs/distributed.md, "Scaling"): for each
# model, 1 rank x 2 threads against 2 ranks x 1 thread (and 2 ranks with the gradient sums
# after backward instead of overlapped), alternating, `REPEATS` times; each line is one run
# of bench_data_parallel, then the best of each setting and the ratio.
#
#   bench/data_parallel.sh [BUILD (build/release)] [REPEATS (3)] [MODELS ("lenet5 densenet-bc40")]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release} REPEATS=${2:-3} MODELS=${3:-lenet5 densenet-bc40}
# OpenMP keeps its default wait policy (spinning briefly): passive waits slow the 2-thread
# rank, whose many short parallel regions each wake a sleeping thread.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
BENCH=$BUILD/bench/bench_data_parallel
for model in $MODELS; do
  steps=60; [ "$model" = lenet5 ] || steps=10
  declare -A best=()
  for r in $(seq "$REPEATS"); do
    for setting in "1 2" "2 1" "2 1 --no-overlap"; do
      read -r ranks threads extra <<<"$setting"
      line=$(mpirun --oversubscribe --bind-to none -np "$ranks" "$BENCH" --model "$model" \
               --threads "$threads" --steps "$steps" $extra)
      echo "$line"
      rate=$(sed 's/.*: \([0-9.]*\) img\/s.*/\1/' <<<"$line")
      key="$ranks x $threads $extra"
      awk -v a="$rate" -v b="${best[$key]:-0}" 'BEGIN { exit !(a > b) }' && best[$key]=$rate
    done
  done
  for key in "${!best[@]}"; do echo "$model best: $key -> ${best[$key]} img/s"; done
  awk -v a="${best[2 x 1 ]}" -v b="${best[1 x 2 ]}" -v m="$model" \
    'BEGIN { printf "%s: 2 ranks x 1 thread / 1 rank x 2 threads = %.2f\n", m, a / b }'
  unset best
done
