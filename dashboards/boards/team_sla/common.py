"""Team lead SLA board: constants shared by its rows."""

from __future__ import annotations

from dashboards import lib
from dashboards.targets import ATTAINMENT_FLOOR, ATTAINMENT_OBJECTIVE

UID = "servicepulse-team-sla"

# attainment colours: green from the objective, red below the floor
ATTAIN = lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR)
