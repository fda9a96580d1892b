"""Simulated time on an integer nanosecond grid, so equal instants are equal.

SimPy keeps time as a float and dates an event ``now + delay``. Sums of
decimal seconds are rarely exact (0.07 + 0.02 is 0.09000000000000001), so a
datagram sent at a pass instant over a link whose delay is a whole number of
tocks would land a hair after the pass it is due in, and wait one tock more.

:class:`GridEnvironment` dates every event at a whole number of nanoseconds
(``round((now + delay) * 1e9) / 1e9``): an instant reached by two different
sums is the same float, and comparing instants is exact. Float sums are off
by far less than half a nanosecond for the first three weeks or so of
simulated time (then the float's own spacing nears a nanosecond), so the
grid changes no time by more than float noise. An instant too far off to
count in nanoseconds (a 1e300 s link delay, a 1e-300 bit/s rate: valid
input whose datagram never arrives) keeps its float, so the run goes on.

:func:`after_others` dates an event behind every ordinary event of its
instant: a Doist pass woken that way sees every datagram that lands at the
pass instant, whoever scheduled it first.
"""

from __future__ import annotations

from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

__all__ = ["LATE", "NS_PER_S", "GridEnvironment", "after_others", "on_grid", "ticks"]

#: Nanoseconds in a second: the grid's resolution.
NS_PER_S = 1_000_000_000
#: SimPy priority that sorts after URGENT (0) and NORMAL (1) at one instant.
LATE = 2


def ticks(seconds: float) -> int:
    """``seconds`` as a whole number of nanoseconds (nearest)."""
    return round(seconds * NS_PER_S)


def on_grid(seconds: float) -> float:
    """The grid instant nearest ``seconds`` (identical floats for equal ticks);
    ``seconds`` itself when it is beyond the float range in nanoseconds."""
    try:
        return round(seconds * NS_PER_S) / NS_PER_S
    except OverflowError:
        return seconds


class GridEnvironment(simpy.Environment):
    """A SimPy environment whose events all fall on the nanosecond grid."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(on_grid(initial_time))

    def schedule(self, event: simpy.Event, priority: Any = NORMAL, delay: Any = 0) -> None:
        """As SimPy's, with the event's instant snapped to the grid."""
        now = self._now
        try:
            when = now if not delay else round((now + delay) * NS_PER_S) / NS_PER_S
        except OverflowError:  # past the float range in nanoseconds: never due in a run
            when = now + delay
        heappush(self._queue, (when, priority, next(self._eid), event))


def after_others(env: simpy.Environment, delay: float) -> simpy.Event:
    """A timeout ``delay`` from now that fires after every URGENT or NORMAL
    event due at the same instant (priority :data:`LATE`)."""
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    env.schedule(event, LATE, delay)  # type: ignore[arg-type]
    return event
