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


class RaisingDoer(SafePeerMemoerDoer):
    """Raises out of its service loop once it has delivered a memo."""

    def recur(self, tyme: Any) -> Any:
        done = super().recur(tyme)
        if self.peer.inbox:
            raise RuntimeError("deliberately broken")
        return done


def _bytes(memo: str | bytes) -> bytes:
    return memo.encode() if isinstance(memo, str) else memo
