"""The SLA policy file (YAML, contract section 2) and the policy set it describes.

One module a job, importing one way only (model <- durations <- team_targets, staffing_plan
<- parse <- load; safe_yaml <- load):

* :mod:`~streams.core.policy.model`: the values (``Policy``, ``PolicySet``, ``Objectives``,
  ``Ola``, ``NO_POLICY``) and ``PolicyError``; which policy a ticket gets.
* :mod:`~streams.core.policy.durations`: ``parse_duration``, the file's durations (``15m``).
* :mod:`~streams.core.policy.parse`: the loaded document -> ``PolicySet``: calendars,
  policies, targets and their lead times, teams, the contact-centre keys.
* :mod:`~streams.core.policy.team_targets`: ``objectives`` and ``ola``.
* :mod:`~streams.core.policy.staffing_plan`: ``staffing``.
* :mod:`~streams.core.policy.safe_yaml`: reading YAML safely (YAML 1.2 scalars, no duplicate
  keys, bounded depth and alias expansion).
* :mod:`~streams.core.policy.load`: the file on disk (size limit, one-line errors naming the
  path) and the built-in default policy set.

The file's format and decisions are described in docs/policies.md; importers use the names
re-exported here (``from streams.core.policy import parse_policy``).
"""

from __future__ import annotations

from streams.core.policy.durations import MAX_DURATION, parse_duration
from streams.core.policy.load import (
    DEFAULT_POLICY_SET,
    DEFAULT_POLICY_YAML,
    MAX_ERROR_CHARS,
    MAX_FILE_BYTES,
    load_policies,
    load_policy_file,
)
from streams.core.policy.model import (
    DEFAULT_AT_RISK,
    DEFAULT_MAX_AGENTS,
    DEFAULT_SHORT_ABANDON,
    DEFAULT_SLO_WINDOW,
    MATCH_DEFAULTS,
    MATCH_KEYS,
    MATCH_VALUES,
    NO_POLICY,
    Objectives,
    Ola,
    Policy,
    PolicyError,
    PolicySet,
)
from streams.core.policy.parse import parse_policy
from streams.core.policy.safe_yaml import load_yaml
from streams.core.vocabulary import TARGETS

__all__ = [
    "DEFAULT_AT_RISK",
    "DEFAULT_MAX_AGENTS",
    "DEFAULT_POLICY_SET",
    "DEFAULT_POLICY_YAML",
    "DEFAULT_SHORT_ABANDON",
    "DEFAULT_SLO_WINDOW",
    "MATCH_DEFAULTS",
    "MATCH_KEYS",
    "MATCH_VALUES",
    "MAX_DURATION",
    "MAX_ERROR_CHARS",
    "MAX_FILE_BYTES",
    "NO_POLICY",
    "TARGETS",
    "Objectives",
    "Ola",
    "Policy",
    "PolicyError",
    "PolicySet",
    "load_policies",
    "load_policy_file",
    "load_yaml",
    "parse_duration",
    "parse_policy",
]
