"""What-if on history: one history's SLA outcomes under several policy files, side by side.

``compare`` (compare.py) turns each policy's outcome records into a ``Comparison``: per team
and target the attainment under each policy, and the (ticket, target, cycle) rows whose
outcome flips against the first policy. ``tables`` prints it as text and CSV rows, ``page``
as an HTML page in the weekly report's style. No I/O here: ``servicepulse whatif``
(streams/commands/whatif.py) replays the history and writes the files. docs/whatif.md.
"""

from streams.whatif.compare import NONE, Comparison, Flip, Line, Tally, compare, policy_names

__all__ = ["NONE", "Comparison", "Flip", "Line", "Tally", "compare", "policy_names"]
