#!/usr/bin/env bash
# make test: a private Redis + PostgreSQL under .run/test, keys, then every test through ctest (unit, integration,
# end to end, fuzz-corpus replay) on the AddressSanitizer + UBSan build. Ends with ctest's summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
RUN=.run/test
export TEST_RUN_DIR="$PWD/$RUN"
export TEST_REDIS_PORT=${TEST_REDIS_PORT:-6392}
export TEST_PG_PORT=${TEST_PG_PORT:-5492}
# CONG_TEST_FILTER (a ctest -R regex) runs only the matching tests, on the same set-up: for working on one area.
# Taken out of the environment here: cong refuses unknown CONG_* variables.
FILTER=${CONG_TEST_FILTER:-}
unset CONG_TEST_FILTER

# The tools the tests start hundreds of times go first on their PATH without their dispatchers: python3 may be a version
# manager's shim (pyenv's runs `pyenv exec` in bash: 0.5 s of CPU and over 1 s of wall time a start on the 2-core test
# machine, against 0.1 s), and Debian's psql is pg_wrapper, a Perl script (0.065 s of CPU a start, against 0.02 s for
# the psql of the PostgreSQL that scripts/services.sh runs). python3 is an exec of the interpreter the shim picks, not a
# symlink to it: a venv's interpreter finds its venv by the path it is started from.
mkdir -p "$RUN/bin" && rm -f "$RUN/bin/python3" "$RUN/bin/psql"
if py=$(python3 -c 'import sys; print(sys.executable)') && [ "$(command -v python3)" != "$py" ]; then
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$py" >"$RUN/bin/python3" && chmod +x "$RUN/bin/python3"
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/psql" ] && ln -sfn "$PGBIN/psql" "$RUN/bin/psql"
export PATH="$PWD/$RUN/bin:$PATH"

bash scripts/make-keys.sh "$RUN" || exit 1
bash scripts/services.sh start "$RUN" "$TEST_REDIS_PORT" "$TEST_PG_PORT" || exit 1
trap 'bash scripts/services.sh stop "$RUN" >/dev/null 2>&1' EXIT
CONG_POSTGRES_CONNINFO="host=127.0.0.1 port=$TEST_PG_PORT dbname=cong user=cong" \
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" build-test/cong --migrate --config cong.example.yaml 2>>"$RUN/migrate.log" || { cat "$RUN/migrate.log"; exit 1; }
bash scripts/seed.sh "$TEST_REDIS_PORT" "$TEST_PG_PORT" || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One test more than cores: most integration tests spend much of their time waiting (a hold's expiry, an OCSP
# response's nextUpdate, a slow reader, a job's interval) and use a quarter to half of a core, so with -j "$(nproc)"
# the 2-core machine sat partly idle. TEST_JOBS overrides it.
ctest --test-dir build-test --output-on-failure -j "${TEST_JOBS:-$(($(nproc) + 1))}" --timeout 300 ${FILTER:+-R "$FILTER"}
