#!/usr/bin/env bash
# Issue 15, "LeNet-5: from one lucky seed to a distribution": the paper's VNQ schedule
# (spec vnq.md §4.2; docs/results-vnq.md, session 6) for seeds 1, 2 and 3 from the same
# pre-trained model, models/lenet5-float.safetensors (Glorot init, 5 Adam epochs, 0.83 %).
# Written at commit f172c94.
#
# A seed takes about 75 minutes on one free core (195 epochs of ~23 s), so each runs to its
# end inside one session and keeps no checkpoint here (a VNQ LeNet-5 checkpoint with Adam
# state is 10 MB, over the 6 MB a run folder may hold): a seed stopped midway starts again.
# A finished seed leaves seedN.jsonl (metrics) and seedN-eval.json (trit eval of the VNQ
# checkpoint: means and P&Q rows) here, and its packed ternary model (trit quantize, 111 kB)
# as models/lenet5-ternary-seedN.safetensors (a run folder holds no other binary).
# Run from the project root: bash runs/lenet5-vnq-seeds/run.sh [SEED...] (default 1 2 3);
# two seeds side by side use both cores: `bash run.sh 1 & bash run.sh 2`.
set -euo pipefail
cd "$(dirname "$0")"
echo 19 > /proc/self/autogroup 2>/dev/null || true
TRIT=../../build/release/tools/trit
DATA=../../data/mnist
for seed in "${@:-1 2 3}"; do
  for s in $seed; do
    [ -f "seed$s-eval.json" ] && continue  # finished
    work=/tmp/lenet5-vnq-seed$s.safetensors
    rm -f "seed$s.jsonl"
    nice -n 10 "$TRIT" vnq --model lenet5 --init ../../models/lenet5-float.safetensors \
      --dataset mnist --data "$DATA" --epochs 195 --kl-warmup 15 --batch 128 --lr 1e-3 \
      --schedule linear --seed "$s" --threads 1 --save "$work" --metrics "seed$s.jsonl"
    nice -n 10 "$TRIT" quantize "$work" --log-threshold 2 \
      --save "../../models/lenet5-ternary-seed$s.safetensors"
    nice -n 10 "$TRIT" eval --model lenet5 --weights "$work" --dataset mnist --data "$DATA" \
      --threads 1 --report "seed$s-eval.json" > "seed$s-eval.txt"
  done
done
