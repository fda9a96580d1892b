"""Progress bars for long commands, drawn with tqdm on a terminal, silent elsewhere.

Display only: a bar reads what a run reports (tyme, memos delivered) and
writes to stderr; nothing a run computes depends on it, so a simulated run's
trace digest is the same with and without one. tqdm is imported only when a
bar is drawn, so a command that shows none does not pay for the import.

- :class:`RunProgress`: one bar per Doer of ``memosim run``: tyme done of
  ``duration_s`` and memos delivered so far. udp runs show it at once (they
  take ``duration_s`` wall seconds); sim runs only once they have taken more
  than ``delay`` wall seconds (1 s), so short runs stay quiet.
- :class:`Progress`: the sweep's and explore's bar, runs done of runs planned
  and the rate (explore adds the violations found).
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any, TextIO

__all__ = ["Progress", "RunProgress", "on_terminal"]


def on_terminal(stream: object) -> bool:
    """True when stream is a terminal (not a pipe, a file or a notebook)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # closed or detached stream
        return False


def _tqdm(**kwa: Any) -> Any:
    from tqdm import tqdm

    # The terminal's size; 80 x 24 when it reports none (a pty nobody sized):
    # tqdm would draw nothing, at 0 rows every bar is "below the screen".
    size = shutil.get_terminal_size((80, 24))
    rows = size.lines or _pty_rows(kwa.get("file")) or 24
    return tqdm(ncols=min(size.columns or 80, 100), nrows=rows, **kwa)


def _pty_rows(stream: object) -> int:
    """The rows the terminal of stream reports (0: none, or not a terminal)."""
    try:
        return os.get_terminal_size(stream.fileno()).lines  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return 0


class RunProgress:
    """Per Doer: ``SafePeerMemoerDoer  42%|####      | tyme 8.4/20 s, 120 delivered``.

    The runner calls :meth:`start` before each Doer's run, :meth:`update` once
    per pass (every ``every``-th call is passed on to tqdm, which redraws at
    most ten times a second) and :meth:`finish` after it; the bar is removed
    when the Doer is done, leaving the terminal to the table.
    """

    def __init__(
        self, *, stream: TextIO | None = None, delay: float = 1.0, every: int = 64
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.delay, self.every = delay, every
        self.bar: Any = None
        self._calls = 0
        self._delivered = -1

    def start(self, doer: str, duration: float, backend: str) -> None:
        self.finish()
        self._calls = 0
        self._delivered = -1
        self.bar = _tqdm(
            total=duration,
            desc=doer,
            file=self.stream,
            leave=False,
            delay=0.0 if backend == "udp" else self.delay,
            mininterval=0.1,
            bar_format="{desc} {percentage:3.0f}%|{bar}| tyme {n:.1f}/{total:g} s{postfix}",
        )

    def update(self, tyme: float, delivered: int) -> None:
        self._calls += 1
        if self.bar is None or self._calls % self.every:
            return
        if delivered != self._delivered:
            self._delivered = delivered
            self.bar.set_postfix_str(f"{delivered:,} delivered", refresh=False)
        step = min(tyme, self.bar.total) - self.bar.n
        if step > 0:
            self.bar.update(step)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Progress:
    """The sweep's bar: ``sweep  30%|######    | 12/40 runs [00:03<00:07]``.

    Drawn on a terminal only (``live`` None: when stream is one); elsewhere
    (pipes, files, notebooks) it writes nothing.
    """

    def __init__(
        self,
        total: int,
        *,
        label: str = "sweep",
        stream: TextIO | None = None,
        live: bool | None = None,
    ) -> None:
        self.total, self.label = total, label
        self.stream = sys.stderr if stream is None else stream
        self.live = on_terminal(self.stream) if live is None else live
        self.done = 0
        self.bar: Any = None
        if self.live:
            self.bar = _tqdm(total=total, desc=label, unit="run", file=self.stream, mininterval=0.1)

    def note(self, text: str) -> None:
        """Text after the counts (explore: violations found so far)."""
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)

    def update(self, done: int | None = None) -> None:
        step = 1 if done is None else done - self.done
        self.done += step
        if self.bar is not None:
            self.bar.update(step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
