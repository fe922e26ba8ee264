"""The generated parts of the docs: text between marker comments, replaced on generate.

A region is ``<!-- BEGIN GENERATED: NAME (servicepulse generate) -->`` ...
``<!-- END GENERATED: NAME -->``; everything outside the markers is hand-written.
"""

from __future__ import annotations

import re


class MissingMarkers(ValueError):
    pass


def begin(name: str) -> str:
    return f"<!-- BEGIN GENERATED: {name} (servicepulse generate) -->"


def end(name: str) -> str:
    return f"<!-- END GENERATED: {name} -->"


def splice(text: str, name: str, body: str) -> str:
    """``text`` with the region ``name`` holding ``body``; MissingMarkers when it has none."""
    pattern = re.compile(re.escape(begin(name)) + r"\n.*?" + re.escape(end(name)), re.S)
    if not pattern.search(text):
        raise MissingMarkers(f"no {begin(name)!r} ... {end(name)!r} region")
    block = f"{begin(name)}\n{body.rstrip()}\n{end(name)}"
    return pattern.sub(lambda _: block, text, count=1)
