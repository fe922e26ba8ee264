"""The generated regions of the docs (docs.py)."""

from __future__ import annotations

import pytest

from streams.monitoring import docs


def test_splice_replaces_only_the_region() -> None:
    text = f"before\n{docs.begin('t')}\nold\n{docs.end('t')}\nafter\n"
    assert (
        docs.splice(text, "t", "new") == f"before\n{docs.begin('t')}\nnew\n{docs.end('t')}\nafter\n"
    )
    with pytest.raises(docs.MissingMarkers):
        docs.splice("no markers", "t", "new")
