"""Cycle time ("tyme") with hio 0.7.20's names and semantics.

A :class:`Tymist` owns a tyme that only moves when somebody ticks it (or sets
it), so schedulers, simulators and tests decide what "now" means. Objects that
need to read that tyme are :class:`Tymee` instances wound onto the Tymist with
a read-only closure (``tymth``), and :class:`Tymer` measures intervals on it.
Nothing here reads the wall clock.

All three classes call ``super().__init__(**kwa)`` so they can be mixed into
other classes (a Memoer is also a Tymee) without breaking the MRO.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Tymth", "Tymist", "Tymee", "Tymer"]

#: A zero-argument closure returning the current tyme of some Tymist.
Tymth = Callable[[], float]


class Tymist:
    """Keeper of a tyme base that advances only in explicit ``tock`` steps.

    Keeping time artificial makes schedules reproducible; a real-time driver
    (``Doist(real=True)``) or a simulator decides how tyme relates to the world.
    """

    Tock: float = 0.03125  # default step, 1/32 s, as in hio

    def __init__(self, tyme: float = 0.0, tock: float | None = None, **kwa: Any) -> None:
        super().__init__(**kwa)
        self.tyme = tyme
        self.tock = tock if tock is not None else self.Tock

    @property
    def tyme(self) -> float:
        """Current cycle time in seconds."""
        return self._tyme

    @tyme.setter
    def tyme(self, tyme: float) -> None:
        self._tyme = float(tyme)

    @property
    def tock(self) -> float:
        """Default increment applied by :meth:`tick`."""
        return self._tock

    @tock.setter
    def tock(self, tock: float) -> None:
        self._tock = float(tock)

    def tick(self, tock: float | None = None) -> float:
        """Advance tyme by ``tock`` (default: ``self.tock``) and return it."""
        self.tyme = self._tyme + float(tock if tock is not None else self._tock)
        return self._tyme

    def tymen(self) -> Tymth:
        """Return a closure reading this tyme, so others can see but not set it."""

        def tymth() -> float:
            return self._tyme

        return tymth


def _next_init_is_objects(cls: type) -> bool:
    """True when the __init__ after Tymee's in cls's MRO is object's."""
    mro = cls.__mro__
    return all("__init__" not in vars(c) for c in mro[mro.index(Tymee) + 1 : -1])


class Tymee:
    """Something that reads tyme from a Tymist it has been wound onto.

    The Tymist is injected as a closure rather than stored, so a Tymee can be
    moved to another tyme base with :meth:`wind` and can never advance time.
    """

    def __init__(self, tymth: Tymth | None = None, **kwa: Any) -> None:
        if kwa and _next_init_is_objects(type(self)):  # name them, not object.__init__
            names = ", ".join(repr(k) for k in kwa)
            s = "s" if len(kwa) > 1 else ""
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument{s} {names}")
        super().__init__(**kwa)
        self._tymth = tymth

    @property
    def tyme(self) -> float | None:
        """Tyme of the wound Tymist, or ``None`` while not wound."""
        return self._tymth() if self._tymth else None

    @property
    def tymth(self) -> Tymth | None:
        """The injected closure, handy for winding related objects alike."""
        return self._tymth

    @tymth.setter
    def tymth(self, tymth: Tymth | None) -> None:
        self._tymth = tymth

    def wind(self, tymth: Tymth | None) -> None:
        """Switch to another tyme base; subclasses refresh what depends on it."""
        self.tymth = tymth


class Tymer(Tymee):
    """Interval timer on a Tymist's tyme: started at ``_start``, due at ``_stop``.

    Unwound, it starts at 0.0 so ``duration`` is meaningful, but ``elapsed``,
    ``remaining`` and ``expired`` need a tyme and so need winding first.
    """

    Duration: float = 0.0  # default duration

    def __init__(
        self,
        duration: float | None = None,
        start: float | None = None,
        **kwa: Any,
    ) -> None:
        super().__init__(**kwa)
        length = float(duration) if duration is not None else self.Duration
        if start is None and not self.tymth:
            start = 0.0  # no tyme to start from yet
        self._start: float = float(start) if start is not None else float(self.tyme)  # type: ignore[arg-type]
        self._stop: float = self._start + length
        self.start(duration=length, start=self._start)

    @property
    def duration(self) -> float:
        """Length of the current interval."""
        return self._stop - self._start

    @property
    def elapsed(self) -> float:
        """Tyme since the start (negative when started in the future)."""
        return self.tyme - self._start  # type: ignore[operator]

    @property
    def remaining(self) -> float:
        """Tyme until the stop (negative once overdue)."""
        return self._stop - self.tyme  # type: ignore[operator]

    @property
    def expired(self) -> bool:
        """True once tyme has reached the stop."""
        return self.tyme >= self._stop  # type: ignore[operator]

    def start(self, duration: float | None = None, start: float | None = None) -> float:
        """(Re)start for ``duration`` (default: keep it) at ``start`` (default: now).

        Returns the start tyme.
        """
        length = float(duration) if duration is not None else self.duration
        self._start = float(start) if start is not None else float(self.tyme)  # type: ignore[arg-type]
        self._stop = self._start + length
        return self._start

    def restart(self, duration: float | None = None) -> float:
        """Start again from the previous stop, so periodic timers never drift."""
        return self.start(duration=duration, start=self._stop)

    def wind(self, tymth: Tymth | None) -> None:
        """Move to a new tyme base; old start/stop are meaningless there, so restart."""
        super().wind(tymth)
        self.start()
