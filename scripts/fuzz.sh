#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets with clang (ASan + UBSan) and runs each for FUZZ_SECONDS (default 60) on a
# scratch copy of its corpus, with tests/fuzz/<name>.dict when there is one. New inputs stay in
# build-fuzz/corpus/<name>; copy the interesting small ones by hand. FUZZ_ONLY=<name> runs one target.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
# h2o itself instrumented (coverage, ASan, UBSan) for fuzz_h2_server: a second copy in build-h2o-fuzz, which the FUZZ=ON
# configure links (cmake/h2o.cmake). Debian's source already fetched for build-h2o is reused (dpkg-source checks it).
mkdir -p build-h2o-fuzz/dl
cp -n build-h2o/dl/* build-h2o-fuzz/dl/ 2>/dev/null || true
CONG_H2O_DIR=build-h2o-fuzz CONG_H2O_CC=clang \
  CONG_H2O_EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" bash scripts/build-h2o.sh
# The prefix is passed, not left to the default: a build-fuzz configured before may hold the ordinary one in its cache.
CC=clang cmake -S . -B build-fuzz -DFUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCONG_H2O_PREFIX="$PWD/build-h2o-fuzz/install" >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
status=0
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c); short=${name#fuzz_}
  [ -z "${FUZZ_ONLY:-}" ] || [ "$FUZZ_ONLY" = "$short" ] || continue
  mkdir -p "build-fuzz/corpus/$short"
  cp -n tests/fuzz/corpus/"$short"/* "build-fuzz/corpus/$short/" 2>/dev/null || true
  echo "fuzz: $short for ${SECONDS_EACH}s"
  dict=(); [ -f "tests/fuzz/$short.dict" ] && dict=(-dict="tests/fuzz/$short.dict")
  if ! "build-fuzz/$name" -max_total_time="$SECONDS_EACH" -print_final_stats=1 "${dict[@]}" "build-fuzz/corpus/$short" \
       2>"build-fuzz/$short.log"; then
    echo "fuzz: $short FAILED (see build-fuzz/$short.log)"; status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "build-fuzz/$short.log" | tail -2
  fi
done
exit $status
