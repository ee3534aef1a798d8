#!/usr/bin/env bash
# The cost model of docs/distributed.md: projected epoch time of data-parallel training on P
# machines joined by a 1 or 10 Gbit/s network, from what one machine measures.
#
#   bench/distributed_cost_model.sh NAME IMAGES SECONDS_PER_IMAGE GRADIENT_MB [BATCH_PER_MACHINE]
#   e.g. bench/distributed_cost_model.sh DenseNet-BC-40 50000 0.0097 0.70 64
#
# SECONDS_PER_IMAGE: one machine's training step time over its batch (bench_data_parallel, 1
# rank); GRADIENT_MB: the gradients' size (its output too). Per step, each machine computes
# its BATCH_PER_MACHINE images (64: the global batch grows with P, the learning rate with it)
# and then the gradients are summed by a ring all-reduce, 2 (P-1)/P of the bytes sent and
# received by each machine in 2 (P-1) messages of 50 us latency each. The model assumes no
# overlap (an upper bound) and that compute scales with the images (a lower bound for small
# per-machine batches).
set -euo pipefail
name=$1 images=$2 per_image=$3 megabytes=$4 batch=${5:-64}
awk -v name="$name" -v n="$images" -v t="$per_image" -v mb="$megabytes" -v b="$batch" 'BEGIN {
  one = n * t
  printf "%s: %d images per epoch, %.2f ms per image, %.2f MB of gradients, %d images per machine per step\n", name, n, 1e3 * t, mb, b
  printf "| machines | link | all-reduce per step | compute per step | epoch | speed-up |\n"
  printf "|---|---|---|---|---|---|\n"
  printf "| 1 | - | - | %.0f ms | %.0f s | 1.0x |\n", 1e3 * b * t, one
  split("1 10", gbits, " ")
  for (g = 1; g <= 2; ++g) {
    bw = gbits[g] * 1e9 / 8
    split("2 8 32", ps, " ")
    for (i = 1; i <= 3; ++i) {
      p = ps[i]
      ar = 2 * (p - 1) / p * mb * 1e6 / bw + 2 * (p - 1) * 50e-6
      step = b * t + ar
      epoch = n / (b * p) * step
      printf "| %d | %d Gbit/s | %.1f ms | %.0f ms | %.1f s | %.1fx |\n", p, gbits[g], 1e3 * ar, 1e3 * b * t, epoch, one / epoch
    }
  }
}'
