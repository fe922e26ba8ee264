#!/usr/bin/env bash
# Mutation testing of the pure core with mutmut (slow: minutes to an hour on 2 cores; not in CI).
#
#   bash bench/mutation.sh [MODULE ...]      e.g. bash bench/mutation.sh events ticket engine
#
# MODULE names a file of streams/core (events calendar policy ticket engine gauges) or
# "exporter" (streams/export/exporter.py); default: all seven. The fast tests are used
# (FAST_TESTS below, override with the env variable FAST_TESTS="tests/... tests/...").
# mutmut runs in a scratch copy (build/mutation) with its own venv (.venv-mutation: mutmut
# needs a newer click than faust-streaming allows, and the core tests need neither).
# MUTATION_DIR (default build/mutation) is the scratch directory.
# Writes build/mutation/survivors.txt (one surviving mutant a line) and
# build/mutation/survivors.diff (each survivor's change on one line), and prints the score
# = (killed + timed out) / all mutants.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv-mutation
SCRATCH=${MUTATION_DIR:-$ROOT/build/mutation}
FAST_TESTS=${FAST_TESTS:-"tests/test_engine.py tests/test_order.py tests/test_exporter.py tests/test_calendar.py tests/test_policy.py tests/unit/core tests/unit/export"}

modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(events calendar policy ticket engine gauges exporter)
sources=()
for module in "${modules[@]}"; do
  case $module in
    exporter) sources+=("streams/export/exporter.py") ;;
    *) sources+=("streams/core/$module.py") ;;
  esac
done

if [ ! -x "$VENV/bin/mutmut" ]; then
  python3 -m venv "$VENV"

  "$VENV/bin/pip" install -q "mutmut>=3.3" pytest pytest-timeout hypothesis \
    prometheus-client orjson PyYAML tzdata
fi

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
cp -r streams "$SCRATCH/streams"
mkdir -p "$SCRATCH/tests"
# only the fast tests and their helpers: the rest need Kafka, Prometheus or the worker's deps
# tests/*.py: conftest.py (its fixtures: free_port, policy_factory, engine_factory) and the
# helper modules it and the tests import (support, processes, ...); all import only the stdlib
cp tests/*.py "$SCRATCH/tests/"
present=()
for path in $FAST_TESTS; do
  if [ ! -e "$path" ]; then
    echo "not there, left out: $path"  # e.g. moved into tests/unit/core (then listed there)
    continue
  fi
  present+=("$path")
  mkdir -p "$SCRATCH/$(dirname "$path")"
  cp -r "$path" "$SCRATCH/$path"
  # the helpers' packages above the copied path (tests/unit/__init__.py, ...)
  dir=$(dirname "$path")
  while [ "$dir" != "tests" ] && [ "$dir" != "." ]; do
    [ -f "$dir/__init__.py" ] && cp "$dir/__init__.py" "$SCRATCH/$dir/"
    dir=$(dirname "$dir")
  done
done
# no pyproject.toml in the scratch copy: mutmut and pytest read setup.cfg
{
  echo "[tool:pytest]"
  echo "timeout = 300"
  echo
  echo "[mutmut]"
  echo "source_paths ="
  for source in "${sources[@]}"; do echo "    $source"; done
  echo "also_copy ="
  echo "    streams"
  echo "    tests"
  echo "pytest_add_cli_args_test_selection ="
  for path in "${present[@]}"; do echo "    $path"; done
  echo "pytest_add_cli_args ="
  echo "    -p"
  echo "    no:cacheprovider"
} > "$SCRATCH/setup.cfg"

cd "$SCRATCH"
# mutants/ must import the mutated copy, not the editable install of the work tree
unset PYTHONPATH
echo "mutmut run: progress in $SCRATCH/run.log"
"$VENV/bin/mutmut" run --max-children "${MUTATION_JOBS:-2}" > run.log 2>&1 || true
"$VENV/bin/mutmut" results --all true > results.txt 2>&1 || "$VENV/bin/mutmut" results > results.txt 2>&1 || true
grep -E ': (survived|no tests)$' results.txt | sed 's/^ *//' > survivors.txt || true
: > survivors.diff
# one line a survivor: the mutant's name and its change (mutmut show is a second a mutant)
for source in "${sources[@]}"; do
  module=$(basename "$source" .py)
  "$VENV/bin/python" "$ROOT/bench/mutation_survivors.py" "$SCRATCH" "$module" >> survivors.diff || true
done
killed=$(grep -c ': killed$' results.txt || true)
survived=$(grep -c ': survived$' results.txt || true)
untested=$(grep -c ': no tests$' results.txt || true)
timeout=$(grep -c ': timeout$' results.txt || true)
total=$((killed + survived + untested + timeout))
echo "modules: ${sources[*]}"
echo "mutants: $total  killed: $killed  timeout: $timeout  survived: $survived  no tests: $untested"
if [ "$total" -gt 0 ]; then
  python3 -c "print(f'score: {($killed + $timeout) / $total:.1%} (killed or timed out / all)')"
fi
echo "survivors: $SCRATCH/survivors.txt (their changes in survivors.diff)"
