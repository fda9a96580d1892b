"""Doers that take their worker process down mid-run, for
tests/test_review_r6_executor.py (never run one in the test process itself)."""

from __future__ import annotations

import os
from typing import Any

from memosim.peermemoing import SafePeerMemoerDoer


class DyingDoer(SafePeerMemoerDoer):
    """Ends its process (exit status 7) half a second into a run, as a worker
    killed by the OS or out of memory would."""

    def recur(self, tyme: Any) -> Any:
        if tyme > 0.5:
            os._exit(7)
        return super().recur(tyme)
