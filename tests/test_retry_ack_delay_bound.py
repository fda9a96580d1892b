"""max_rto must exceed ack_delay: a timeout ceiling under the receiver's ack
delay fires before any partial ack can return, so every memo of more than
one gram ran out of tries on a lossless link (review h's finding 4)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from memosim import PeerMemoer
from memosim.core.errors import MemoerError
from memosim.core.retry import RetryPolicy
from memosim.errors import ScenarioError
from memosim.testbed.retry_table import resolve_retry

MEMOSIM = str(Path(sys.executable).with_name("memosim"))


def test_the_policy_refuses_a_ceiling_at_or_under_the_ack_delay() -> None:
    with pytest.raises(
        MemoerError, match=r"^retry.max_rto: expected a number > ack_delay \(0.05\), found 0.002$"
    ):
        RetryPolicy(min_rto=0.001, max_rto=0.002)
    with pytest.raises(MemoerError, match=r"ack_delay \(0.015\)"):
        RetryPolicy(policy="fast", min_rto=0.001, max_rto=0.015)
    assert RetryPolicy(policy="fast", min_rto=0.001, max_rto=0.016).max_rto == 0.016
    assert RetryPolicy(ack_delay=0.0, min_rto=0.001, max_rto=0.001).max_rto == 0.001
    with pytest.raises(MemoerError, match="max_rto"):
        PeerMemoer(name="x", code="bAAE", minRto=0.001, maxRto=0.002)


@pytest.mark.parametrize(
    "top, own, line",
    [
        (
            {},
            {"min_rto": 0.005, "max_rto": 0.01},
            "peers[0].retry.max_rto: expected a number > ack_delay "
            "(0.05, the rto policy's default), found 0.01",
        ),
        (
            {"ack_delay": 100},
            {},
            "retry.ack_delay: expected a number < max_rto (60, the default), found 100",
        ),
        (
            {"max_rto": 0.3},
            {"ack_delay": 0.5},
            "peers[0].retry.ack_delay: expected a number < max_rto (retry.max_rto = 0.3), found 0.5",
        ),
        (
            {"ack_delay": 0.5},
            {"max_rto": 0.3},
            "peers[0].retry.max_rto: expected a number > ack_delay (retry.ack_delay = 0.5), found 0.3",
        ),
    ],
)
def test_a_scenario_names_the_more_specific_key_and_where_the_other_comes_from(
    top: dict[str, float], own: dict[str, float], line: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        resolve_retry(top, own, "peers[0].retry")
    assert str(err.value) == line


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        textwrap.dedent("""\
        [scenario]
        duration_s = 5.0
        doers = ["SafePeerMemoerDoer"]

        [retry]
        policy = "fast"
        min_rto = 0.001
        max_rto = 0.01

        [[peers]]
        name = "alice"
        port = 47331

        [[peers]]
        name = "bob"
        port = 47332

        [[workload]]
        src = "alice"
        dst = "bob"
        count = 2
        memo_size = { dist = "fixed", bytes = 5000 }
        """)
    )
    done = subprocess.run(
        [MEMOSIM, "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"{path}: retry.max_rto: expected a number > ack_delay "
        "(0.015, the fast policy's default), found 0.01\n"
    )
