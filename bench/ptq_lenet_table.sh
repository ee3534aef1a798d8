#!/usr/bin/env bash
# Post-training quantisation of LeNet-5-Caffe on MNIST (issue 5, spec shared/spec/ptq.md §5):
# test error of MSQ, Maly-Saab (box and grid), GPFQ and OPTQ at L = 2, 3, 7, 15 levels for a few
# calibration sizes, as one Markdown table, plus the per-layer quantisation seconds.
#
# Every cell is `trit ptq ... --save ckpt --report ptq.json` followed by
# `trit eval --weights ckpt --report eval.json`; the table reads eval.json's test_error (and
# checks that it equals the one trit ptq measured). Runs whose eval.json exists are skipped, so
# an interrupted run resumes. Only bash and python3's standard library are needed.
#
# Usage: bench/ptq_lenet_table.sh WEIGHTS MNIST_DIR [OUT_DIR]
# Environment: TRIT (default build-full/tools/trit), CALIBS (default "256 1024 4096"),
#              LEVELS (default "2 3 7 15"), THREADS (default 1), SEED (default 0).
# Writes OUT_DIR/table.md (default OUT_DIR: ptq_lenet_runs) and prints it.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
weights=$1
data=$2
out=${3:-ptq_lenet_runs}
trit=${TRIT:-build-full/tools/trit}
calibs=${CALIBS:-256 1024 4096}
levels=${LEVELS:-2 3 7 15}
threads=${THREADS:-1}
seed=${SEED:-0}
mkdir -p "$out"

# run NAME PTQ-ARGS...: one quantisation and its evaluation, into $out/NAME.{ptq,eval}.json.
run() {
  local name=$1
  shift
  [[ -f $out/$name.eval.json ]] && return 0
  echo "== $name: trit ptq $*" >&2
  "$trit" ptq --model lenet5 --weights "$weights" --dataset mnist --data "$data" \
    --threads "$threads" --seed "$seed" --save "$out/$name.safetensors" \
    --report "$out/$name.ptq.json" "$@" >"$out/$name.log" 2>&1
  "$trit" eval --model lenet5 --weights "$out/$name.safetensors" --dataset mnist --data "$data" \
    --report "$out/$name.eval.tmp" >>"$out/$name.log" 2>&1
  mv "$out/$name.eval.tmp" "$out/$name.eval.json"
  rm -f "$out/$name.safetensors"
}

for l in $levels; do
  run "msq-L$l" --method msq --levels "$l"
  for m in $calibs; do
    run "maly-saab-box-L$l-m$m" --method maly-saab --variant box --levels "$l" --calib "$m"
    run "maly-saab-grid-L$l-m$m" --method maly-saab --variant grid --levels "$l" --calib "$m"
    run "gpfq-L$l-m$m" --method gpfq --levels "$l" --calib "$m"
    run "optq-L$l-m$m" --method optq --levels "$l" --calib "$m"
  done
done

OUT="$out" CALIBS="$calibs" LEVELS="$levels" python3 - <<'EOF' | tee "$out/table.md"
import json, os

out = os.environ["OUT"]
calibs = os.environ["CALIBS"].split()
levels = os.environ["LEVELS"].split()

def load(name):
    with open(os.path.join(out, name + ".ptq.json")) as f:
        ptq = json.load(f)
    with open(os.path.join(out, name + ".eval.json")) as f:
        ev = json.load(f)
    if abs(ptq["test_error"] - ev["test_error"]) > 1e-9:
        raise SystemExit(f"{name}: trit ptq measured {ptq['test_error']}, trit eval "
                         f"{ev['test_error']}")
    return ptq, ev

def pct(x):
    return f"{100 * x:.2f}"

methods = [("MSQ", "msq"), ("Maly–Saab box (paper)", "maly-saab-box"),
           ("Maly–Saab grid", "maly-saab-grid"), ("GPFQ", "gpfq"), ("OPTQ", "optq")]
header = "| method | m | " + " | ".join(f"L = {l}" for l in levels) + " |"
print("Test error (%) of LeNet-5-Caffe on the MNIST test set (10 000 images)")
print()
print(header)
print("|" + "---|" * (2 + len(levels)))
float_error = None
for label, key in methods:
    for m in ([None] if key == "msq" else calibs):
        cells = []
        for l in levels:
            name = f"{key}-L{l}" + ("" if m is None else f"-m{m}")
            ptq, ev = load(name)
            float_error = ev["float_test_error"] if "float_test_error" in ev else ptq["float_test_error"]
            cells.append(pct(ev["test_error"]))
        print(f"| {label} | {'–' if m is None else m} | " + " | ".join(cells) + " |")
print("| VNQ + P&Q (ternary, trained) | – | | see docs/results-vnq.md | | |")
print(f"| float (reference) | – | " + " | ".join(pct(float_error) for _ in levels) + " |")
print()

# Rows each layer saw and seconds per layer, at the smallest calibration size.
m = calibs[0]
print(f"Rows per layer and quantisation seconds per layer (m = {m}, L = 3, wall clock, "
      f"threads as run)")
print()
names = None
rows = []
for label, key in methods[1:]:
    ptq, _ = load(f"{key}-L3-m{m}")
    names = [layer["name"] for layer in ptq["layers"]]
    rows.append((label, ptq["layers"]))
print("| method | " + " | ".join(f"{n} rows / s" for n in names) + " |")
print("|" + "---|" * (1 + len(names)))
for label, layers in rows:
    print(f"| {label} | " + " | ".join(f"{l['rows']} / {l['seconds']:.2f}" for l in layers) + " |")
EOF
