"""Deliberately broken Doers for tests/test_explore.py, named by import path
(``explore_doers:ForgetfulDoer``) in the scenarios the tests write."""

from __future__ import annotations

import zlib
from typing import Any

from memosim.peermemoing import SafePeerMemoerDoer


class ForgetfulDoer(SafePeerMemoerDoer):
    """Acked delivery that forgets about one memo in a thousand: after each
    service it drops from the inbox every memo whose CRC-32 is 0 modulo 1000
    (the memo acked, never handed over: lost silently)."""

    def recur(self, tyme: Any) -> Any:
        done = super().recur(tyme)
        inbox = self.peer.inbox
        kept = [m for m in inbox if zlib.crc32(_bytes(m[0])) % 1000]
        if len(kept) != len(inbox):
            inbox.clear()
            inbox.extend(kept)
        return done


class LoseOrRepeatDoer(SafePeerMemoerDoer):
    """Breaks acked delivery two ways, on different memos: drops from the
    inbox each memo whose CRC-32 is 0 modulo 150 (lost silently) and hands
    over twice each one whose CRC-32 is 1 modulo 150 (a duplicate)."""

    def recur(self, tyme: Any) -> Any:
        done = super().recur(tyme)
        inbox = self.peer.inbox
        if inbox:
            out = []
            for m in inbox:
                crc = zlib.crc32(_bytes(m[0])) % 150
                if crc != 0:
                    out.append(m)
                if crc == 1:
                    out.append(m)
            inbox.clear()
            inbox.extend(out)
        return done


class RaisingDoer(SafePeerMemoerDoer):
    """Raises out of its service loop once it has delivered a memo."""

    def recur(self, tyme: Any) -> Any:
        done = super().recur(tyme)
        if self.peer.inbox:
            raise RuntimeError("deliberately broken")
        return done


def _bytes(memo: str | bytes) -> bytes:
    return memo.encode() if isinstance(memo, str) else memo
