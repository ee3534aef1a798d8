#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/*.cc) and runs each for a bounded time.
#
#   fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS...]     (default 20 s, every harness)
#   fuzz/run.sh --configure-only                        (set up the build folder, nothing else)
#
# - Configures FUZZ_BUILD (default build/fuzz; ./run.sh test uses build/sanitize, whose test
#   suite runs from the same compile) once: clang, ASan + UBSan, coverage for libFuzzer (see
#   fuzz/meson.build). Then builds only the fuzz targets (JOBS, default 2, at nice 5).
# - Writes the seed corpus to build/fuzz/fuzz-seeds/<harness> (fuzz_seeds), then runs each
#   harness on build/fuzz/fuzz-corpus/<harness> (kept between runs: a long campaign grows
#   it) plus the seeds. Logs: build/fuzz/fuzz-logs/<harness>.log; crashing, leaking or slow
#   inputs: build/fuzz/fuzz-artifacts/<harness>/ (reproduce: build/fuzz/fuzz/fuzz_<harness>
#   FILE).
# - Prints one line per harness (executions, coverage edges, result) and then
#   "N passed, N failed"; a harness passes when libFuzzer found no crash, sanitizer report,
#   uncaught exception, leak, timeout or out-of-memory. Exits non-zero if any failed.
# - libFuzzer stops a harness at its first finding. FUZZ_KEEP_GOING=1 (for long campaigns)
#   runs it in fork mode instead (-fork=1 -ignore_crashes/timeouts/ooms=1), which keeps
#   fuzzing and saves every failing input; the harness fails if any was saved.
# - The harnesses that read JSON get the dictionary fuzz/json.dict.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${FUZZ_BUILD:-build/fuzz}
configure() {
  # A folder configured otherwise (e.g. an older gcc build/sanitize) is configured afresh.
  grep -q fuzz_seeds "$BUILD/build.ninja" 2>/dev/null &&
    grep -q "TRIT_WITH_MPI=0" "$BUILD/build.ninja" && return
  rm -rf "$BUILD"
  # -DHWY_COMPILE_ONLY_STATIC: one SIMD target instead of all, 4-5x faster to build; the
  # readers do not depend on it. -march=x86-64-v2 makes that target SSSE3 rather than
  # Highway's EMU128 emulation, whose float-to-int conversion of a NaN is undefined
  # behaviour in C++ (UBSan stops there; the real instructions define it). The project's -Werror stays on: clang 14.0.6
  # warns neither in the library nor in fuzz/ (if a later clang does, add -Dwerror=false).
  # -Dmpi=disabled: neither the readers nor the sanitized suite need MPI (the release build's
  # tests/mpi/ cover it), and Open MPI's start-up allocations would be LeakSanitizer noise.
  CXX=${FUZZ_CXX:-clang++} meson setup "$BUILD" -Dfuzz=enabled -Dmpi=disabled \
    "-Dcpp_args=['-fsanitize=fuzzer-no-link','-gline-tables-only','-DHWY_COMPILE_ONLY_STATIC=1','-march=x86-64-v2']" \
    -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 -Ddebug=false \
    -Db_ndebug=false >/dev/null
}
if [ "${1:-}" = --configure-only ]; then
  configure
  exit 0
fi
SECONDS_PER_HARNESS=${1:-20}
shift || true
ALL=(idx cifar10 image safetensors checkpoint vnq_checkpoint ternary_checkpoint ptq_checkpoint
     metadata_json)
[ $# -gt 0 ] && HARNESSES=("$@") || HARNESSES=("${ALL[@]}")
JOBS=${JOBS:-2}

configure
echo "== building $BUILD (fuzz targets)" >&2
nice -n 5 ninja -C "$BUILD" -j"$JOBS" fuzz >/dev/null

SEEDS=$BUILD/fuzz-seeds
rm -rf "$SEEDS"
"$BUILD/fuzz/fuzz_seeds" "$SEEDS"

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
PASSED=0
FAILED=0
printf '%-20s %8s %12s %8s  %s\n' harness seconds executions edges result
for name in "${HARNESSES[@]}"; do
  corpus=$BUILD/fuzz-corpus/$name
  artifacts=$BUILD/fuzz-artifacts/$name
  log=$BUILD/fuzz-logs/$name.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  options=(-max_total_time="$SECONDS_PER_HARNESS" -timeout=10 -rss_limit_mb=2048
           -print_final_stats=1 -artifact_prefix="$artifacts/")
  case $name in idx|cifar10|image) ;; *) options+=(-dict=fuzz/json.dict) ;; esac
  [ "${FUZZ_KEEP_GOING:-0}" = 1 ] &&
    options+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  before=$(find "$artifacts" -type f | wc -l)
  start=$(date +%s)
  status=0
  nice -n 5 "$BUILD/fuzz/fuzz_$name" "${options[@]}" "$corpus" "$SEEDS/$name" >"$log" 2>&1 ||
    status=$?
  seconds=$(( $(date +%s) - start ))
  new=$(( $(find "$artifacts" -type f | wc -l) - before ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*cov:.*/\1/p' "$log" | tail -1)
  edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$status" -eq 0 ] && [ "$new" -eq 0 ]; then
    result=ok
    PASSED=$((PASSED + 1))
  else
    # The first report: a trit fuzz message (uncaught exception, changed model), a sanitizer
    # or UBSan line, or libFuzzer's own (timeout, out-of-memory, leak).
    kind=$(grep -m1 -E '^\*\*\* trit fuzz:|runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|ERROR: libFuzzer' "$log" |
           sed 's/^\*\*\* trit fuzz: //; s/^.*\/\([^/]*: runtime error\)/\1/' | cut -c1-110 || true)
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    result="FAILED ($new inputs saved): ${kind:-exit $status}; ${artifact:-$artifacts}"
    FAILED=$((FAILED + 1))
  fi
  printf '%-20s %8s %12s %8s  %s\n' "$name" "$seconds" "${execs:-?}" "${edges:-?}" "$result"
done
echo
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
