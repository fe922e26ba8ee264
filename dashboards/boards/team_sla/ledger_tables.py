"""Team lead SLA board, row "Tickets behind the figures": the outcomes ledger's rows
through Grafana's built-in PostgreSQL data source.

Prometheus labels never carry a ticket id; the ledger (streams/ledger, docs/ledger.md) keeps
one row per (ticket, target, cycle) outcome, stint, survey answer and QA review in
PostgreSQL. These tables read its tables (streams/ledger/schema.py) for the selected team
over the last 7 days: the breaches, the detractors to call back, the complaints past their
target, and SLA attainment per agent. Every ticket id links to the ticket in the helpdesk:
the board's variable ``ticket_url`` followed by the URL-quoted id.

The data source is provisioned under the fixed uid ``LEDGER_UID``
(deploy/grafana/provisioning/datasources/servicepulse.yml, ``dashboards push``); a Grafana
without it shows the tables' error, the Prometheus rows are unaffected.

Time: the ledger's ``at`` column (Unix seconds, event time: a breach at its deadline, a met
outcome when its clock stopped, a survey at its answer) against the panel's range, half-open
like ``servicepulse outcomes --from/--to``: ``at >= $__unixEpochFrom() AND at <
$__unixEpochTo()``. ``'$team'``: Grafana's SQL data sources double any quote in a
single-valued variable, so a team name cannot end the string.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grafana_foundation_sdk.builders import common, table
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.runtime import UnknownDataquery
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards.boards.team_sla.common import ATTAIN
from dashboards.lib import RATIO, SECONDS
from dashboards.targets import SlaTargets

# The ledger's PostgreSQL data source: Grafana's built-in plugin (id
# grafana-postgresql-datasource since Grafana 10.4; `postgres` before, still an alias).
LEDGER_UID = "servicepulse-ledger"
LEDGER_NAME = "ServicePulse ledger"
LEDGER_TYPE = "grafana-postgresql-datasource"
LEDGER = dm.DataSourceRef(type_val=LEDGER_TYPE, uid=LEDGER_UID)

# The board variable the ticket links start with; the ticket id (URL-quoted) follows it.
TICKET_URL_VARIABLE = "ticket_url"
TICKET_URL_DEFAULT = "https://helpdesk.example.com/tickets/"
# Grafana URL-encodes every variable of a data link unless told otherwise: the prefix goes
# in raw, the ticket id (the clicked cell) encoded ("a b/c" -> "a%20b%2Fc", as the CLI does).
TICKET_LINK = f"${{{TICKET_URL_VARIABLE}:raw}}${{__value.raw}}"
TICKET = "Ticket"  # the column carrying the link

WINDOW = "7d"  # every table shows the last 7 days, whatever the board's range
SINCE = "at >= $__unixEpochFrom() AND at < $__unixEpochTo()"
TEAM = "team = '$team'"

# Outcome columns shared by the breach tables.
_OUTCOME_COLUMNS = f"""\
ticket_id AS "{TICKET}",
  target AS "Target",
  priority AS "Priority",
  customer_tier AS "Tier",
  NULLIF(agent, '') AS "Agent",
  policy AS "Policy",
  to_timestamp(deadline) AS "Deadline",
  to_timestamp(stopped) AS "Stopped",
  CASE WHEN stopped IS NULL THEN NULL ELSE late END AS "Late by\""""

BREACHED_SQL = f"""\
SELECT
  {_OUTCOME_COLUMNS}
FROM ledger_outcomes
WHERE {TEAM}
  AND outcome = 'breached'
  AND {SINCE}
ORDER BY at, ticket_id, target, cycle"""

# Detractors: NPS 0-6 (the contract's detractors) and CSAT 1-2 (dissatisfied).
DETRACTORS_SQL = f"""\
SELECT
  ticket_id AS "{TICKET}",
  to_timestamp(ts) AS "Answered",
  kind AS "Survey",
  score AS "Score",
  NULLIF(agent, '') AS "Agent",
  channel AS "Channel"
FROM ledger_surveys
WHERE {TEAM}
  AND ((kind = 'nps' AND score <= 6) OR (kind = 'csat' AND score <= 2))
  AND {SINCE}
ORDER BY at, ticket_id, event_id"""

COMPLAINTS_SQL = f"""\
SELECT
  {_OUTCOME_COLUMNS}
FROM ledger_outcomes
WHERE {TEAM}
  AND category = 'complaint'
  AND outcome = 'breached'
  AND {SINCE}
ORDER BY at, ticket_id, target, cycle"""

# Per agent (chatwoot #9747): met / (met + breached) of the outcomes known in the range,
# credited as the ledger credits them (the agent who stopped the clock, else the assignee;
# `none` when nobody), worst first.
AGENTS_SQL = f"""\
SELECT
  COALESCE(NULLIF(agent, ''), 'none') AS "Agent",
  count(*) FILTER (WHERE outcome = 'met') AS "Met",
  count(*) FILTER (WHERE outcome = 'breached') AS "Breached",
  (count(*) FILTER (WHERE outcome = 'met'))::double precision / count(*) AS "SLA attainment"
FROM ledger_outcomes
WHERE {TEAM}
  AND outcome IN ('met', 'breached')
  AND {SINCE}
GROUP BY 1
ORDER BY 4, 1"""


class SqlQuery(cogbuilder.Builder[cogvariants.Dataquery]):
    """A raw-SQL query of the ledger data source in table format (the SDK has no builder for
    Grafana's SQL data sources)."""

    def __init__(self, sql: str, ref_id: str = "A") -> None:
        self.sql, self.ref_id = sql, ref_id

    def build(self) -> cogvariants.Dataquery:
        return UnknownDataquery(
            {
                "refId": self.ref_id,
                "datasource": {"type": LEDGER_TYPE, "uid": LEDGER_UID},
                "editorMode": "code",
                "format": "table",
                "rawQuery": True,
                "rawSql": self.sql,
            }
        )


def _prop(name: str, value: Any) -> dm.DynamicConfigValue:
    return dm.DynamicConfigValue(id_val=name, value=value)


def ledger_table(
    title: str,
    description: str,
    sql: str,
    *,
    columns: Sequence[tuple[str, str, Sequence[lib.Step]]] = (),
    link: bool = True,
    w: int = 12,
    h: int = 8,
) -> table.Panel:
    """A table of one ledger query over the last 7 days; ``columns``: (column, unit, steps)
    for the columns that need them; ``link``: the ticket column opens the ticket."""
    p = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(LEDGER)
        .time_from(WINDOW)
        .show_header(True)
        .cell_height(cm.TableCellHeight.SM)
        .thresholds(lib.thresholds(*lib.neutral()))
        .no_value("–")
        .footer(common.TableFooterOptions().show(False))
        .span(w)
        .height(h)
        .with_target(SqlQuery(sql))
    )
    for name, unit, steps in columns:
        p = p.override_by_name(
            name,
            [
                _prop("unit", unit),
                _prop(
                    "thresholds",
                    {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in steps]},
                ),
                _prop(
                    "custom.cellOptions",
                    {"type": "color-text"} if len(steps) > 1 else {"type": "auto"},
                ),
            ],
        )
    if link:
        p = p.override_by_name(
            TICKET,
            [
                _prop(
                    "links",
                    [
                        {
                            "title": "Open ticket ${__value.raw} in the helpdesk",
                            "url": TICKET_LINK,
                            "targetBlank": True,
                        }
                    ],
                )
            ],
        )
    return p


BREACH_COLUMNS: tuple[tuple[str, str, Sequence[lib.Step]], ...] = (
    ("Late by", SECONDS, lib.neutral()),
)


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_variable(
        dash.TextBoxVariable(TICKET_URL_VARIABLE)
        .label("Ticket link")
        .description(
            "Start of a ticket's address in the helpdesk; the ledger tables link each ticket "
            "id to this followed by the id (e.g. https://helpdesk.example.com/tickets/)."
        )
        .default_value(TICKET_URL_DEFAULT)
    )
    d = d.with_row(lib.row("Tickets behind the figures (ledger)"))
    d = d.with_panel(
        ledger_table(
            "Breached, last 7 days",
            "Every SLA clock of the team that breached in the last 7 days (its deadline passed "
            "unmet), one row per ticket, target and cycle, oldest first, from the outcomes "
            "ledger (PostgreSQL): who held it, the deadline, when the clock stopped (empty: "
            "still running) and how late (SLA-clock time). The ticket id opens the ticket.",
            BREACHED_SQL,
            columns=BREACH_COLUMNS,
        )
    )
    d = d.with_panel(
        ledger_table(
            "Detractors to call back, last 7 days",
            "Survey answers of the team's customers in the last 7 days scoring NPS 0-6 "
            "(detractors) or CSAT 1-2, oldest first, with the agent credited: the customers to "
            "call back. The ticket id opens the ticket.",
            DETRACTORS_SQL,
        )
    )
    d = d.with_panel(
        ledger_table(
            "Complaints past target, last 7 days",
            "Complaint tickets (category complaint) of the team whose SLA clock breached in the "
            "last 7 days, one row per ticket, target and cycle, oldest first. The ticket id "
            "opens the ticket.",
            COMPLAINTS_SQL,
            columns=BREACH_COLUMNS,
        )
    )
    d = d.with_panel(
        ledger_table(
            "SLA attainment per agent, last 7 days",
            "Per agent of the team, the SLA outcomes known in the last 7 days (met and "
            "breached, every target) and the share met, worst first. An outcome is credited "
            "to the agent who stopped the clock, else the assignee; `none` when nobody. "
            "Colours: the SLA attainment objective.",
            AGENTS_SQL,
            columns=(("SLA attainment", RATIO, ATTAIN),),
            link=False,
        )
    )
    return d
