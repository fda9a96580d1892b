"""Stopping the command on SIGINT (Ctrl-C) or SIGTERM, without half-written results.

The Doist takes KeyboardInterrupt as "end this run quietly", which would let
a cut-short run pass for a whole one; so while a command runs, both signals
raise Interrupted instead (exit status 128 + signum), and inside `hold()`
they wait until the block ends, so results are written whole or not at all.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeAlias

__all__ = ["Interrupted", "Signals"]

#: A signal's disposition as signal.signal takes and returns it: a handler,
#: SIG_DFL or SIG_IGN, or None (set outside Python).
Handler: TypeAlias = Callable[[int, FrameType | None], Any] | int | None


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: stop everything (exit status 128 + signum).

    Not a KeyboardInterrupt, which the Doist takes as "end this run quietly"
    and which would let a cut-short run pass for a whole one."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Signals:
    """SIGINT and SIGTERM raise Interrupted, except inside ``hold()``, where
    they are kept until the block ends (results are written whole or not)."""

    def __init__(self) -> None:
        self.held = False
        self.pending: int | None = None
        self.old: dict[int, Handler] = {}

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.old[sig] = signal.signal(sig, self._raise)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.old.items():
            signal.signal(sig, handler)

    def _raise(self, signum: int, _frame: FrameType | None) -> None:
        if self.held:
            self.pending = signum
            return
        raise Interrupted(signum)

    def hold(self) -> Hold:
        return Hold(self)


class Hold:
    def __init__(self, signals: Signals) -> None:
        self.signals = signals

    def __enter__(self) -> None:
        self.signals.held = True

    def __exit__(self, *exc: object) -> None:
        self.signals.held = False
        if self.signals.pending is not None and exc[0] is None:
            raise Interrupted(self.signals.pending)
