#!/usr/bin/env bash
# Issue 15, Part A: short VNQ runs of DenseNet-BC-40 from one float checkpoint at equal
# budgets (EPOCHS each, seed 1, batch 64, C10+ augmentation, lossy JPEG CIFAR-10), to find
# what makes the P&Q row converge before the long run. Started from trit at commit 2053f28
# (which adds --log-sigma2-lr-scale).
#
# The float start: the float run's checkpoint of epoch 64 of 120 (77.7 % test accuracy), as
# committed in f38284c (runs/densenet-bc40-float/resume.safetensors); extracted from git.
# Each configuration trains one epoch per trit call (--stop-after-epoch), so a stop loses at
# most one epoch: its checkpoint is resume.safetensors (the only binary here) and its
# metrics <name>.jsonl. A finished configuration leaves <name>.jsonl and, from its last
# epoch, the eval table with per-layer rows (<name>-eval.json); then the next one starts.
# Resume from the project root: bash runs/densenet-vnq-study/run.sh
set -euo pipefail
cd "$(dirname "$0")"
echo 19 > /proc/self/autogroup 2>/dev/null || true
TRIT=../../build/release/tools/trit
DATA=../../data/cifar10
EPOCHS=4
THREADS=${THREADS:-1}
INIT=/tmp/densenet-bc40-float-epoch64.safetensors
[ -f "$INIT" ] || git show f38284c:runs/densenet-bc40-float/resume.safetensors > "$INIT"

# name | the options that differ (everything else as COMMON)
COMMON="--model densenet-bc40 --dataset cifar10 --data $DATA --epochs $EPOCHS --batch 64
  --optimizer adam --augment --seed 1 --threads $THREADS --schedule linear"
CONFIGS=(
  # the paper's schedule (spec §4.2) compressed: lr 5e-3 constant for half, then linear
  # decay; KL warm-up over the first epoch; a from max |w|
  "paper|--lr 5e-3 --decay-start 2 --kl-warmup 1 --level-init max-abs"
  # the earlier short trials' settings: lr 1e-3, a at the 65 % zero share
  "lr1e-3-share65|--lr 1e-3 --kl-warmup 1 --level-init 0.65"
  # the paper's, log sigma^2 at 10x the rate (not the paper's)
  "paper-sigma10|--lr 5e-3 --decay-start 2 --kl-warmup 1 --level-init max-abs --log-sigma2-lr-scale 10"
  # the paper's with a at the 65 % zero share (not the paper's)
  "paper-share65|--lr 5e-3 --decay-start 2 --kl-warmup 1 --level-init 0.65"
)

epochs_done() {  # the last epoch in a metrics file (0 if none)
  [ -f "$1" ] || { echo 0; return; }
  tail -n 1 "$1" | sed -n 's/.*"epoch":\([0-9]*\).*/\1/p'
}

for entry in "${CONFIGS[@]}"; do
  name=${entry%%|*}
  options=${entry#*|}
  [ -f "$name-eval.json" ] && continue  # finished
  for ((epoch = $(epochs_done "$name.jsonl") + 1; epoch <= EPOCHS; ++epoch)); do
    if [ "$epoch" = 1 ]; then start="--init $INIT"; else start="--resume resume.safetensors"; fi
    # shellcheck disable=SC2086
    nice -n 10 "$TRIT" vnq $COMMON $options $start --save resume.safetensors \
      --metrics "$name.jsonl" --stop-after-epoch "$epoch"
  done
  # --threads (session 13): without it eval took every core, and beside the float run its
  # OpenMP threads spun at barriers for a descheduled peer (85 % of its time, perf).
  nice -n 10 "$TRIT" eval --model densenet-bc40 --weights resume.safetensors --dataset cifar10 \
    --data "$DATA" --first-layer-float --per-layer --threads "$THREADS" \
    --report "$name-eval.json" > "$name-eval.txt"
  rm -f resume.safetensors
done
echo "study finished: every configuration has its -eval.json"
