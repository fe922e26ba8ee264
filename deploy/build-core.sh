#!/bin/bash
# Optional: compile the engine's modules of streams/core with mypyc, in place.
#
#   bash deploy/build-core.sh            # build (about 1-3 min on 2 cores; gcc and mypy needed)
#   bash deploy/build-core.sh --clean    # remove the compiled modules: pure Python again
#
# The compiled modules (streams/core/*.cpython-*.so, and streams/core/compiled__mypyc*.so,
# their shared runtime) sit next to the .py files, and Python imports an extension module
# before a source file of the same name: after a build, every `import streams.core.engine`
# in this checkout gets the compiled engine. The sources stay the same, type-annotated
# Python; without a build (CI, the Docker image, a fresh checkout) they are what runs.
# `python -c "import streams.core.engine as e; print(e.__file__)"` tells which one is used.
# docs/benchmarks.md ("Engine") has the measured difference; docs/testing.md how to run
# the unit tier against the compiled core.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
[ -x "$python" ] || python=$(command -v python3)
# the engine's per-event path; policy*.py, backlog.py and the rest are not on it
modules=(agents calendar deadlines engine events facts presence records teams ticket transaction vocabulary)

clean() {
  rm -f "$root"/streams/core/*.cpython-*.so "$root"/streams/core/compiled__mypyc*.so
}

if [ "${1:-}" = "--clean" ]; then
  clean
  echo "build-core: removed the compiled modules; streams/core runs as Python"
  exit 0
fi
clean
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
"$python" - "$work" "${modules[@]}" <<'PY'
import sys

from setuptools import Distribution
from setuptools.command.build_ext import build_ext

from mypyc.build import mypycify

work, modules = sys.argv[1], sys.argv[2:]
paths = [f"streams/core/{name}.py" for name in modules]
# the project's mypy settings; one group, so the shared runtime lands in streams/core
extensions = mypycify(
    ["--config-file", "pyproject.toml", *paths],
    opt_level="3",
    group_name="streams.core.compiled",
    target_dir=f"{work}/c",  # the generated C sources
)
# setuptools' setup() would read pyproject.toml's [project] table: build the extensions
# directly instead
command = build_ext(Distribution({"name": "servicepulse-core", "ext_modules": extensions}))
command.inplace = True
command.build_temp = work
command.ensure_finalized()
command.run()
PY
echo "build-core: compiled ${#modules[@]} modules of streams/core in place (--clean to undo)"
"$python" -c "import streams.core.engine as e; print('build-core: engine from', e.__file__)"
