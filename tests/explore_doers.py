"""Deliberately broken Doers for tests/test_explore.py, named by import path
(``explore_doers:ForgetfulDoer``) in the scenarios the tests write."""

from __future__ import annotations

import zlib
from typing import Any

from memosim.peermemoing import SafePeerMemoerDoer


class CopyingDoer(SafePeerMemoerDoer):
    """Acked delivery whose inbox, after each service, hands each memo over
    copies(CRC-32 of the memo) times: 0 loses it silently, 2 duplicates it."""

    def copies(self, crc: int) -> int:
        return 1

    def recur(self, tyme: Any) -> Any:
        done = super().recur(tyme)
        inbox = self.peer.inbox
        if inbox:
            out = [m for m in inbox for _ in range(self.copies(zlib.crc32(_bytes(m[0]))))]
            inbox.clear()
            inbox.extend(out)
        return done


class ForgetfulDoer(CopyingDoer):
    """Forgets about one memo in a thousand: every memo whose CRC-32 is 0
    modulo 1000 is acked and never handed over (lost silently)."""

    def copies(self, crc: int) -> int:
        return 0 if crc % 1000 == 0 else 1


class LoseOrRepeatDoer(CopyingDoer):
    """Breaks acked delivery two ways, on different memos: loses each memo
    whose CRC-32 is 0 modulo 150 and hands over twice each one whose CRC-32
    is 1 modulo 150 (a duplicate)."""

    def copies(self, crc: int) -> int:
        return {0: 0, 1: 2}.get(crc % 150, 1)


class LoseAndRepeatDoer(CopyingDoer):
    """Loses every memo whose CRC-32 is even and hands over twice every one
    whose CRC-32 is odd: each run with a few memos breaks acked delivery
    both ways."""

    def copies(self, crc: int) -> int:
        return 2 * (crc % 2)


class RaisingDoer(SafePeerMemoerDoer):
    """Raises out of its service loop once it has delivered a memo."""

    def recur(self, tyme: Any) -> Any:
        done = super().recur(tyme)
        if self.peer.inbox:
            raise RuntimeError("deliberately broken")
        return done


def _bytes(memo: str | bytes) -> bytes:
    return memo.encode() if isinstance(memo, str) else memo


class FrozenDoer(SafePeerMemoerDoer):
    """Acked delivery on a clock that stops at 1 s: from then on nothing is
    retried and no memo reaches its max_tyme, so a memo whose gram or done
    ack was lost stays unsettled for ever: never delivered, never reported."""

    STOP = 1.0

    def _frozen(self) -> None:
        tymth = self.tymth
        if tymth is not None:
            self.peer.wind(lambda: min(tymth(), self.STOP))

    def wind(self, tymth: Any) -> None:
        super().wind(tymth)
        self._frozen()

    def enter(self, *, temp: bool | None = None) -> None:
        super().enter(temp=temp)
        self._frozen()
