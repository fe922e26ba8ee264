"""Print each surviving mutant of one module as one line: its name and the lines it changed.

    python bench/mutation_survivors.py SCRATCH MODULE      (used by bench/mutation.sh)

Reads mutmut's results (SCRATCH/results.txt) and its mutated copy of the module
(SCRATCH/mutants/streams/...), where each mutant is a function ``x_name__mutmut_N`` beside
the original ``x_name__mutmut_orig``; much faster than ``mutmut show`` a mutant at a time.
"""

from __future__ import annotations

import ast
import difflib
import sys
from pathlib import Path


def main(scratch: Path, module: str) -> None:
    package = "export" if module == "exporter" else "core"
    source = (scratch / "mutants" / "streams" / package / f"{module}.py").read_text()
    lines = source.splitlines()
    functions = {
        node.name: lines[node.lineno - 1 : node.end_lineno]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    results = (scratch / "results.txt").read_text().splitlines()
    for line in results:
        name, _, status = line.strip().partition(": ")
        if status not in ("survived", "no tests") or f".{module}." not in name:
            continue
        function = name.rsplit(".", 1)[1]
        original = functions.get(function.rsplit("__mutmut_", 1)[0] + "__mutmut_orig")
        mutant = functions.get(function)
        if original is None or mutant is None:
            print(f"{name} ({status}): source not found")
            continue
        changed = [
            d.strip()
            for d in difflib.unified_diff(original[1:], mutant[1:], lineterm="", n=0)
            if d[:1] in "+-" and not d.startswith(("---", "+++"))
        ]
        readable = function.replace("xǁ", "").replace("ǁ", ".")
        print(f"{module}.{readable} ({status}) | {' || '.join(changed)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
