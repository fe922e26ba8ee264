"""Deterministic contact-centre simulator producing contract interaction events.

``ContactCentre(config, start).events(until)`` yields plain, JSON-ready dicts that follow
CONTRACT.md section 1: every event has ``event_id`` (``f"{seed}-{n}"``), ``type``,
``ticket_id`` (the Kafka key, ``f"T{seed}-{n}"``) and ``ts`` (RFC 3339, millisecond precision,
``+00:00`` offset).  Events come lazily in non-decreasing ``ts`` order.  The same seed and
config give the same events byte for byte; all randomness comes from one seeded
``random.Random`` (never the global generator).  Successive ``events()`` calls on the same
object continue the same simulation.

It is a discrete-event simulation: a heap of scheduled future actions ``(t, seq, code,
ticket)``.  Each ticket keeps exactly one "main" action in the heap (its next step) plus a few
side actions after resolution (survey, QA, reopen, close), so memory is bounded by the open
tickets.  A ticket is dropped once closed or abandoned.

Model and numbers (all times are simulated seconds; ``Exp(m)`` = exponential, mean m):

Arrivals
    Poisson process whose rate is constant within each hour (redrawn at every hour, exact by
    memorylessness).  ``arrivals_per_hour`` is the mean at the weekday peak; the rate is
    multiplied by an hour-of-day profile (UTC is taken as the centre's local time): 0.05 of
    peak at 02-04h, 0.4 at 07h, 0.9-1.0 between 09h and 16h (lunch dip 0.85 at 12h), 0.5 at
    18h, 0.13 at 23h; Saturdays x0.5, Sundays x0.35 (see ``HOUR_PROFILE`` and
    ``WEEKDAY_FACTOR``).  ``flat_arrivals=True`` disables both.  Scenario "surge" multiplies
    the rate by ``surge_factor`` (staffing is *not* scaled, so queues, first-response times
    and abandonment grow).
Ticket attributes
    team: technical 45 %, billing 35 %, sales 20 % (unknown team names weigh like billing);
    channel: phone 35 %, chat 25 %, email 25 %, web 10 %, social 5 %;
    category: inquiry 50 %, request 25 %, incident 13 %, complaint 12 %;
    priority: urgent 5 %, high 15 %, normal 60 %, low 20 % (incidents: 20/35/40/5 %);
    customers: 200 000 ids, every tenth one is VIP (so ~10 % of contacts).
    Priority scales waiting/answer times: urgent x0.25, high x0.5, normal x1, low x1.6; VIP x0.6.
Phone and chat (real time)
    Each team has agent seats, staffed hour by hour (workforce management) with the
    square-root rule for the *normal* load: ``ceil(a + beta sqrt(a))``, at least 2, where
    ``a = rate x 60 % real-time share x team share x profile(hour) x 340 s`` (340 s = measured
    mean session) and the safety factor ``beta`` is ``seat_safety`` (default 1.5: the normal
    hour at the 80/20 line; 2.5 leaves headroom, see ``staffing``).  A contact queues FIFO
    (urgent/high/VIP in a priority lane) until a seat is free, is routed in 1-8 s, and the
    agent speaks first 2-6 s (phone) or 5-40 s (chat) after ``ticket.assigned``.
    Customers' patience is 5 s + Exp(180 s) on phone and
    15 s + Exp(240 s) on chat (x1.5 VIP); a contact not answered by then sends
    ``contact.abandoned``, so the abandon share grows with the wait.  Measured (seed 1):
    first response median 9 s phone / 30 s chat, abandonment ~5 % phone / ~7 % chat in
    "normal", ~50 % under a x3 surge.  Conversation turns: agent talk time Exp(150 s) phone /
    Exp(90 s) chat (``work_seconds``), customer answers 10 s + Exp(20 s) / Exp(45 s) later.
    The seat is held until the session resolves, is paused or is transferred (a transfer
    queues for a seat of the new team); later follow-ups are answered asynchronously.
Email and web (asynchronous)
    Per-team FIFO inbox worked at 1.3x the average normal arrival rate (so backlogs build over
    the day and drain at night; under surge they grow), capped at 5 days; urgent, high and
    VIP mail skip the inbox (assigned after Exp(900 s x priority factor)).  Social: assigned
    after Exp(900 s x factor).  The agent answers Exp(600 s) (social Exp(300 s)) after being
    assigned, writing work Exp(300 s).  Measured email first response with the daily profile:
    median ~1-2 h, p90 ~6-7 h.  Customers write back after Exp(4 h) (web 3 h, social 1 h),
    agents answer again after Exp(2 h x factor) (social 30 min, follow-ups of phone/chat 1 h).
After each public agent reply
    transfer 6 % (1 % for an already transferred ticket; to another team; ``ticket.transferred``
    then a new ``ticket.assigned`` from the new team); pause 7 % (80 % ``pending`` resumed by
    the customer's reply after Exp(3 h), 20 % ``on_hold`` resumed by the agent, both by a
    ``ticket.status open``; real-time pauses Exp(1 h)); resolve ``0.45 + 0.15 x (replies-1)``
    (capped 0.85; incidents -0.10, complaints -0.05); else the customer writes back.
    Before a public reply the agent writes an internal note (``public: false``) 10 % of the
    time.
After ``ticket.resolved`` (``work_seconds`` = wrap-up Exp(60 s) real time / Exp(120 s) async)
    ``ticket.closed`` after 30 min + Exp(2 h) (phone/chat) or 1 h + Exp(8 h) (async);
    reopened (``ticket.reopened`` then ``message.customer``) with 6 % (second time 3 %) after
    Exp(3 h) if still before the close; one survey per ticket with 30 % probability after
    Exp(5 min) (real time) or Exp(2 h) (async), dropped if it would come after the close:
    csat 70 %, nps 20 %, ces 10 %; one QA review (score 0-100, ~N(84, 8) minus penalties,
    one decimal) for 10 % of the tickets, between resolution and close.
    Satisfaction latent ``s = 4.5 - 0.6 slow_first_response - 0.3 slow_resolution
    - 0.5 transfers - 0.9 reopens - 0.4 complaint + N(0, 0.7)``, where ``slow_x =
    min(3, max(0, log2(actual / target)))`` with targets 60 s / 1 h (first response,
    real time / async) and 15 min / 24 h (resolution).  csat = round(s) in 1-5;
    nps = round(2.5 (s - 1) + 0.5 + N(0, 1)) in 0-10; ces = round(1 + 1.5 (s - 1) + N(0, 0.7))
    in 1-7 (CES 2.0 scale: 7 = very easy).  Surveys are never sent for abandoned contacts.
    Measured CSAT (share of 4-5): ~84 % "normal", ~67 % under a x3 surge.
Volume
    ~7.7 events per ticket; throughput: ``python bench/simulator.py``.
Outage scenario
    Between ``start + outage_start`` and ``start + outage_end`` the agents of ``outage_team``
    do nothing visible: no ``message.agent`` (public or note), no ``ticket.resolved``, no
    transfer or pause.  Routing still assigns contacts to them (they just wait; real-time
    callers mostly abandon).  Postponed actions resume after the outage, in the original order,
    compressed into half the outage length (backlog drain).  With ``outage_end=None`` they
    never happen.  Customers, surveys and QA reviews continue.

Modules: ``scenarios`` (SimConfig, the scenarios, the outage window), ``profiles`` (the daily
and weekly profiles, the mix of contacts, the seeded draws), ``ticket``, ``staffing`` (seats,
queues, inboxes), ``feedback`` (survey and QA scores), ``events`` (the event builders),
``timestamps`` (``iso``) and ``contact_centre`` (the simulation).
"""

from streams.simulator.contact_centre import ContactCentre
from streams.simulator.profiles import HOUR_PROFILE, WEEKDAY_FACTOR
from streams.simulator.scenarios import SCENARIOS, SimConfig
from streams.simulator.timestamps import iso

__all__ = ["HOUR_PROFILE", "SCENARIOS", "WEEKDAY_FACTOR", "ContactCentre", "SimConfig", "iso"]
