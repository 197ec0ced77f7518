#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets with clang (ASan + UBSan) and runs each for FUZZ_SECONDS (default 60) on a
# scratch copy of its corpus. New inputs stay in build-fuzz/corpus/<name>; copy the interesting small ones by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
CC=clang cmake -S . -B build-fuzz -DFUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
status=0
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c); short=${name#fuzz_}
  mkdir -p "build-fuzz/corpus/$short"
  cp -n tests/fuzz/corpus/"$short"/* "build-fuzz/corpus/$short/" 2>/dev/null || true
  echo "fuzz: $short for ${SECONDS_EACH}s"
  if ! "build-fuzz/$name" -max_total_time="$SECONDS_EACH" -print_final_stats=1 "build-fuzz/corpus/$short" \
       2>"build-fuzz/$short.log"; then
    echo "fuzz: $short FAILED (see build-fuzz/$short.log)"; status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "build-fuzz/$short.log" | tail -2
  fi
done
exit $status
