"""Every metric of the contract's table is in the catalogue with its kind and labels."""

from __future__ import annotations

import pytest

from streams.export.catalogue import CATALOGUE
from tests.unit.export.contract_metrics import CONTRACT_METRICS, DEVIATIONS

CATALOGUED = {metric.exposed: (metric.kind, metric.labels) for metric in CATALOGUE}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=DEVIATIONS[name]))
        if name in DEVIATIONS
        else name
        for name in CONTRACT_METRICS
    ],
)
def test_the_catalogue_has_the_contract_metric(name: str) -> None:
    assert CATALOGUED.get(name) == CONTRACT_METRICS[name]
