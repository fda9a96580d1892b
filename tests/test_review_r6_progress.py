"""Review r6: the progress bars on a terminal that reports no size (a pty
nobody sized: `script`, some CI runners, `docker exec -t`): tqdm hid the bar
there (0 rows: every bar "outside the screen"), so a sweep drew nothing."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

SNIPPET = """
import time
from memosim.testbed.progress import Progress, RunProgress
p = Progress(4)
for _ in range(4):
    p.update()
p.close()
r = RunProgress(delay=0.0, every=1)
r.start("SafePeerMemoerDoer", 2.0, "sim")
time.sleep(0.25)  # past tqdm's mininterval, so the update is drawn
r.update(2.0, 7)
r.finish()
"""


def _on_unsized_pty(code: str) -> str:
    master, slave = pty.openpty()  # a new pty reports 0 columns and 0 rows
    try:
        assert os.get_terminal_size(slave) == os.terminal_size((0, 0))
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=slave,
            env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")},
        )
        os.close(slave)
        out = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed its end
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        assert proc.wait(timeout=30) == 0
    finally:
        os.close(master)
    return out.decode("utf-8", "replace")


def test_bars_are_drawn_on_a_terminal_that_reports_no_size() -> None:
    text = _on_unsized_pty(SNIPPET)
    assert "4/4" in text, repr(text)
    assert "SafePeerMemoerDoer" in text and "7 delivered" in text, repr(text)
