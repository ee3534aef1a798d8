#!/usr/bin/env bash
# The layering rule of the library (README, "Layout"), checked over every #include:
#
#   autograd/kernels <- autograd <- report <- nn <- {optim, datasets, distributed} <- quant/ternary
#     <- {quant/vnq, quant/ptq} <- {train, study} <- tools
#
# A file may include its own module and the modules below it; nothing includes upward, and
# modules of one rank (optim, datasets and distributed; vnq and ptq; train and study) do not include each
# other. (tests/, bench/, fuzz/ and examples/ sit on
# top and may include anything.) Prints each offending line and "layers: N violations";
# exits non-zero when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

# rank of a module: which modules it may include is decided by rank alone, except that two
# different modules of the same rank may not include each other.
rank() {
  case $1 in
    autograd/kernels) echo 0 ;; autograd) echo 1 ;; report) echo 2 ;; nn) echo 3 ;;
    optim | datasets | distributed) echo 4 ;; quant/ternary) echo 5 ;; quant/vnq | quant/ptq) echo 6 ;;
    train | study) echo 7 ;; tools) echo 8 ;;
    *) echo 99 ;;
  esac
}
# the module of a path: autograd/kernels/x.h -> autograd/kernels, quant/vnq/kernels/x.h ->
# quant/vnq, nn/models/x.h -> nn
module_of() {
  case $1 in
    autograd/kernels/*) echo autograd/kernels ;;
    quant/*/*) echo "quant/$(cut -d/ -f2 <<<"$1")" ;;
    *) echo "${1%%/*}" ;;
  esac
}

violations=0
while IFS= read -r line; do
  file=${line%%:*}
  included=$(sed -n 's/.*#include "\([^"]*\)".*/\1/p' <<<"${line#*:*:}")
  from=$(module_of "$file")
  to=$(module_of "$included")
  [ "$from" = "$to" ] && continue
  from_rank=$(rank "$from")
  to_rank=$(rank "$to")
  if [ "$to_rank" -gt "$from_rank" ] || [ "$to_rank" -eq "$from_rank" ]; then
    echo "layers: $line ($from may not include $to)"
    violations=$((violations + 1))
  fi
done < <(grep -rnE '^#include "[^"]+"' autograd report nn optim datasets distributed quant train study tools \
           --include='*.h' --include='*.cc')
echo "layers: $violations violations"
[ "$violations" -eq 0 ]
