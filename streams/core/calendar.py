"""Business-hours calendars: counted time between two instants, and deadlines.

Time is POSIX seconds (float, UTC) everywhere; time zones matter only here.

A :class:`Calendar` is open on its ``days`` (weekdays), outside its ``holidays`` (local dates
in the calendar's time zone), during its ``hours``: one window ``["09:00", "18:00"]`` or a list
of windows ``[["08:00", "12:00"], ["13:00", "17:00"]]`` in local wall-clock time. A window
cannot cross midnight (``"24:00"`` is accepted as an end); split a night shift in two.

Decisions (write-up for docs):

* **Wall-clock windows across DST.** A window is the local wall-clock hours of its day, so
  09:00-18:00 is still 09:00-18:00 local on a DST-change day (9 counted hours), and a
  00:00-24:00 day is 23 h or 25 h long on the change days.
* **Nonexistent and ambiguous local times.** A window opens at the *first instant the local
  clock reads its start time or later* and closes at the first instant it reads its end time
  or later. So a time inside a spring-forward gap (02:30 on 2026-03-29 in Europe/Berlin) maps
  to the instant of the change (03:00 CEST), and a repeated time of a fall-back night maps to
  its first occurrence (02:30 CEST, not 02:30 CET). This mapping is monotonic, so windows
  never invert or overlap; a window lying wholly inside a gap is empty that day. On the
  fall-back night, a window ending inside the repeated hour (01:00-02:30) closes at the first
  02:30; a window starting inside it (02:30-04:00) opens at the first 02:30 and so also covers
  the repeated 02:00-02:30.
* **counted(start, end)** is the measure of open time in ``[start, end)``; 0 if end <= start.
* **add(start, seconds)** is the earliest ``t >= start`` with ``counted(start, t) == seconds``:
  a deadline whose budget runs out exactly at closing time is the closing instant, not the
  next opening. ``add(start, 0)`` returns ``start`` itself even outside business hours (a
  clock with nothing left is due the moment it is (re)started). Negative seconds are an error.
* Inputs must be finite numbers (NaN and infinities raise).

Implementation: open intervals are precomputed per 64-day block of UTC days (block index =
``t // 5_529_600``, so finding an instant's block needs no time-zone conversion), with
prefix sums; a query is two binary searches in one or two cached blocks, and a long gap sums
whole-block totals. ``ALWAYS`` (24x7) is plain arithmetic.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

__all__ = ["ALWAYS", "WEEKDAYS", "Calendar", "CalendarError"]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES: dict[str, int] = {name: i for i, name in enumerate(WEEKDAYS)}
_DAY_NAMES.update(
    {
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    }
)

_DAY: Final = 86400
_BLOCK_DAYS: Final = 64
_BLOCK: Final = _BLOCK_DAYS * _DAY  # seconds per cached block
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_MAX_CACHED_BLOCKS: Final = 1024  # ~180 years of blocks; the cache is cleared beyond that
# ~180 years: add() gives up rather than loop for seconds (event times are bounded to
# 1970..2099 at intake and policies are checked to reach their targets at load)
_MAX_ADD_BLOCKS: Final = 1024
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

# A block: (interval starts, interval ends, counted time before each interval, counted time at
# the end of each interval, block total). Starts/ends are absolute UTC seconds, clipped to the
# block and merged when touching; counted values are relative to the block's start.
_Block = tuple[list[float], list[float], list[float], list[float], float]


class CalendarError(ValueError):
    """An invalid calendar definition; the message is one line naming the calendar."""


def _fmt_time(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" if s == 0 else f"{h:02d}:{m:02d}:{s:02d}"


def _upto(block: _Block, x: float) -> float:
    """Counted seconds from the block's start to ``x`` (``x`` inside the block)."""
    starts = block[0]
    i = bisect_right(starts, x) - 1
    if i < 0:
        return 0.0
    end = block[1][i]
    return block[2][i] + ((x if x < end else end) - starts[i])


class Calendar:
    """Business hours in a time zone: open days, wall-clock windows, holidays."""

    __slots__ = (
        "_blocks",
        "_holidays",
        "_open_weekdays",
        "days",
        "holidays",
        "name",
        "timezone",
        "tz",
        "windows",
    )

    name: str
    timezone: str
    tz: ZoneInfo
    days: frozenset[int]  # weekday numbers, Monday = 0
    windows: tuple[tuple[int, int], ...]  # (start, end) seconds after local midnight, sorted
    holidays: frozenset[date]

    def __init__(
        self,
        name: Any,  # checked below: the policy file's key may be any YAML value
        timezone: Any = "UTC",
        days: Iterable[str] = WEEKDAYS[:5],
        hours: Sequence[Any] = ("09:00", "18:00"),
        holidays: Iterable[str | date] = (),
    ) -> None:
        if not isinstance(name, str) or not name:
            raise CalendarError(f"calendar name must be a non-empty string, not {name!r}")
        where = f"calendar {name!r}"
        self.name = name
        self.timezone, self.tz = _parse_timezone(where, timezone)
        self.days = _parse_days(where, days)
        self.windows = _parse_windows(where, hours)
        self.holidays = _parse_holidays(where, holidays)
        if not self.days:
            raise CalendarError(f"{where}: no open days, so no open hours at all")
        self._open_weekdays = tuple(i in self.days for i in range(7))
        self._holidays = frozenset(d.toordinal() for d in self.holidays)
        self._blocks: dict[int, _Block] = {}

    # ---- queries (hot path) -------------------------------------------------------------------

    def counted(self, start: float, end: float) -> float:
        """Counted (business) seconds in ``[start, end)``; 0 when ``end <= start``."""
        if end <= start:
            return 0.0
        first = int(start // _BLOCK)
        last = int(end // _BLOCK)
        blocks = self._blocks
        block = blocks.get(first) or self._build(first)
        starts, ends, before = block[0], block[1], block[2]
        # _upto(block, start), inlined: this is the engine's per-event path.
        i = bisect_right(starts, start) - 1
        if i < 0:
            head = 0.0
        else:
            stop = ends[i]
            head = before[i] + ((start if start < stop else stop) - starts[i])
        if first == last:
            i = bisect_right(starts, end) - 1
            if i < 0:
                return 0.0
            stop = ends[i]
            return before[i] + ((end if end < stop else stop) - starts[i]) - head
        total = block[4] - head
        for index in range(first + 1, last):  # whole blocks in between: their totals
            total += (blocks.get(index) or self._build(index))[4]
        return total + _upto(blocks.get(last) or self._build(last), end)

    def add(self, start: float, seconds: float) -> float:
        """The earliest instant ``t >= start`` with ``counted(start, t) == seconds``.

        ``add(start, 0)`` is ``start`` itself, even outside business hours.
        """
        if seconds <= 0:
            if seconds == 0:
                return start
            raise ValueError(f"calendar {self.name!r}: cannot add negative time {seconds!r}")
        index = int(start // _BLOCK)
        blocks = self._blocks
        block = blocks.get(index) or self._build(index)
        # _upto(block, start), inlined: the engine's per-event path (every clock started)
        starts = block[0]
        i = bisect_right(starts, start) - 1
        if i < 0:
            want = seconds  # counted time from the block's start
        else:
            stop = block[1][i]
            want = block[2][i] + ((start if start < stop else stop) - starts[i]) + seconds
        limit = index + _MAX_ADD_BLOCKS
        while want > block[4]:
            want -= block[4]
            index += 1
            if index > limit:
                raise ValueError(f"calendar {self.name!r}: no deadline within {seconds!r} s")
            block = blocks.get(index) or self._build(index)
        i = bisect_left(block[3], want)
        t = block[0][i] + (want - block[2][i])
        return t if t >= start else start  # only when `seconds` is below float resolution

    def is_open(self, t: float) -> bool:
        """Whether the instant ``t`` is inside business hours."""
        index = int(t // _BLOCK)
        block = self._blocks.get(index) or self._build(index)
        i = bisect_right(block[0], t) - 1
        return i >= 0 and t < block[1][i]

    # ---- block construction (cold path) -------------------------------------------------------

    def _build(self, index: int) -> _Block:
        low = float(index * _BLOCK)
        high = low + _BLOCK
        first_day = _EPOCH_ORDINAL + index * _BLOCK_DAYS - 2  # local days can be +-14 h off UTC
        spans: list[tuple[float, float]] = []
        for ordinal in range(first_day, first_day + _BLOCK_DAYS + 4):
            for start, end in self._day(ordinal):
                start, end = max(start, low), min(end, high)
                if end > start:
                    spans.append((start, end))
        spans.sort()
        starts: list[float] = []
        ends: list[float] = []
        for start, end in spans:  # merge touching intervals (e.g. midnight in a 24x7 calendar)
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        before: list[float] = []
        after: list[float] = []
        total = 0.0
        for start, end in zip(starts, ends, strict=True):
            before.append(total)
            total += end - start
            after.append(total)
        block: _Block = (starts, ends, before, after, total)
        if len(self._blocks) >= _MAX_CACHED_BLOCKS:
            self._blocks.clear()
        self._blocks[index] = block
        return block

    def _day(self, ordinal: int) -> list[tuple[float, float]]:
        """The UTC intervals of one local date (by proleptic ordinal)."""
        if not self._open_weekdays[(ordinal + 6) % 7] or ordinal in self._holidays:
            return []
        midnight = datetime.fromordinal(ordinal)
        return [
            (self._wall_to_utc(midnight, start), self._wall_to_utc(midnight, end))
            for start, end in self.windows
        ]

    def _wall_to_utc(self, midnight: datetime, seconds: int) -> float:
        """The first instant at which the local clock reads ``midnight + seconds`` or later."""
        wall = midnight + timedelta(seconds=seconds)
        tz = self.tz
        utc = wall.replace(tzinfo=tz).timestamp()  # fold=0: the first of two repeated times
        if datetime.fromtimestamp(utc, tz).replace(tzinfo=None) == wall:
            return utc
        # In a gap: the clock jumps over `wall`; find the jump, to the second.
        other = wall.replace(tzinfo=tz, fold=1).timestamp()
        lo, hi = int(min(utc, other)), int(max(utc, other)) + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
                hi = mid
            else:
                lo = mid + 1
        return float(lo)

    # ---- value semantics ----------------------------------------------------------------------

    def _key(self) -> tuple[Any, ...]:
        return (self.name, self.timezone, self.days, self.windows, self.holidays)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calendar):
            return NotImplemented
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        days = ",".join(WEEKDAYS[d] for d in sorted(self.days))
        hours = ",".join(f"{_fmt_time(s)}-{_fmt_time(e)}" for s, e in self.windows)
        extra = f", {len(self.holidays)} holidays" if self.holidays else ""
        return f"Calendar({self.name!r}, {self.timezone}, {days} {hours}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        hours = [[_fmt_time(s), _fmt_time(e)] for s, e in self.windows]
        days = [WEEKDAYS[d] for d in sorted(self.days)]
        holidays = sorted(d.isoformat() for d in self.holidays)
        return (Calendar, (self.name, self.timezone, days, hours, holidays))


class _AlwaysCalendar(Calendar):
    """24x7 in UTC: every second counts; plain arithmetic."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("always", "UTC", WEEKDAYS, ("00:00", "24:00"))

    def counted(self, start: float, end: float) -> float:
        return end - start if end > start else 0.0

    def add(self, start: float, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"calendar 'always': cannot add negative time {seconds!r}")
        return start + seconds if seconds else start

    def is_open(self, t: float) -> bool:
        return True

    def __reduce__(self) -> tuple[Any, ...]:
        return (_always, ())


# ---- definition parsing -----------------------------------------------------------------------


def _parse_timezone(where: str, timezone: Any) -> tuple[str, ZoneInfo]:
    if not isinstance(timezone, str) or not timezone:
        raise CalendarError(f"{where}: timezone must be an IANA name like 'Europe/Berlin'")
    try:
        return timezone, ZoneInfo(timezone)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise CalendarError(f"{where}: unknown time zone {timezone!r}") from None


def _parse_days(where: str, days: Any) -> frozenset[int]:
    if isinstance(days, str | bytes) or not isinstance(days, Iterable):
        raise CalendarError(f"{where}: days must be a list like [mon, tue, wed, thu, fri]")
    result = set()
    for day in days:
        number = _DAY_NAMES.get(day.lower()) if isinstance(day, str) else None
        if number is None:
            raise CalendarError(
                f"{where}: unknown day {day!r} (use mon, tue, wed, thu, fri, sat, sun)"
            )
        result.add(number)
    return frozenset(result)


def _parse_time(where: str, value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CalendarError(
            f'{where}: hours must be quoted times like "09:00", not the number {value!r}'
        )
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
        if (h < 24 and m < 60 and s < 60) or (h, m, s) == (24, 0, 0):
            return h * 3600 + m * 60 + s
    raise CalendarError(f"{where}: bad time {value!r} (expected HH:MM from 00:00 to 24:00)")


def _parse_windows(where: str, hours: Any) -> tuple[tuple[int, int], ...]:
    shape = f'{where}: hours must be ["09:00", "18:00"] or a list of such pairs'
    if isinstance(hours, str | bytes) or not isinstance(hours, Sequence):
        raise CalendarError(shape)
    pairs: Sequence[Any] = hours
    if len(hours) == 2 and not any(isinstance(x, list | tuple) for x in hours):
        pairs = [hours]
    if not pairs:
        raise CalendarError(f"{where}: no opening hours, so no open hours at all")
    windows: list[tuple[int, int]] = []
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CalendarError(shape)
        start, end = _parse_time(where, pair[0]), _parse_time(where, pair[1])
        if start >= end:
            raise CalendarError(
                f"{where}: hours {_fmt_time(start)}-{_fmt_time(end)} end before they start "
                "(a window cannot cross midnight: split it at 24:00)"
            )
        windows.append((start, end))
    windows.sort()
    merged: list[tuple[int, int]] = []
    for start, end in windows:
        if merged and start < merged[-1][1]:
            prev = merged[-1]
            raise CalendarError(
                f"{where}: hours {_fmt_time(prev[0])}-{_fmt_time(prev[1])} and "
                f"{_fmt_time(start)}-{_fmt_time(end)} overlap"
            )
        if merged and start == merged[-1][1]:  # touching windows: one window
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _parse_holidays(where: str, holidays: Any) -> frozenset[date]:
    if isinstance(holidays, str | bytes) or not isinstance(holidays, Iterable):
        raise CalendarError(f'{where}: holidays must be a list of dates like ["2026-12-25"]')
    result = set()
    for value in holidays:
        if isinstance(value, date) and not isinstance(value, datetime):
            result.add(value)
            continue
        day = None
        if isinstance(value, str) and _DATE_RE.fullmatch(value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                day = None
        if day is None:
            raise CalendarError(f"{where}: bad holiday {value!r} (expected a date YYYY-MM-DD)")
        result.add(day)
    return frozenset(result)


def _always() -> Calendar:
    return ALWAYS


ALWAYS: Calendar = _AlwaysCalendar()
