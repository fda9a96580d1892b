"""Review k: defects found in the session's Ack v3, proven backoff and explore draws.

Each test failed before its fix (see the commit that adds it).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from memosim.errors import ScenarioError
from memosim.testbed.explore_draw import draw_run
from memosim.testbed.scenario import load_scenario, parse_scenario

EXPLORED = textwrap.dedent("""\
    [scenario]
    name = "drawn"
    duration_s = 5.0
    doers = ["SafePeerMemoerDoer"]

    [retry]
    policy = "fast"
    min_rto = 0.02
    max_rto = 0.04

    [[peers]]
    name = "alice"
    port = 47331
    {own}

    [[peers]]
    name = "bob"
    port = 47332

    [[workload]]
    src = "alice"
    dst = "bob"
    count = 5
    interval_s = 0.1
    memo_size = {{ dist = "fixed", bytes = 100 }}

    [explore]
    retry = {{ p = 1.0, fast = {fast} }}
    """)


def explored(tmp_path: Path, fast: float, own: str = "") -> Path:
    path = tmp_path / "drawn.toml"
    path.write_text(EXPLORED.format(fast=fast, own=own))
    return path


def test_a_retry_draw_the_file_cannot_run_is_refused_when_the_file_loads(tmp_path: Path) -> None:
    # max_rto 0.04 is above the fast policy's default ack_delay (0.015) but
    # not the rto policy's (0.05): a drawn "rto" policy made every run's
    # document invalid, so `memosim validate` said ok and `memosim explore`
    # stopped at its first such run naming retry.max_rto
    path = explored(tmp_path, fast=0.5)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == (
        f"{path}: explore.retry.fast: expected a chance of 1 (a drawn policy "
        '"rto" makes retry.max_rto: expected a number > ack_delay (0.05, the rto '
        "policy's default), found 0.04), found 0.5"
    )
    own = explored(tmp_path, fast=1.0, own='retry = { policy = "rto", ack_delay = 0.01 }')
    s = load_scenario(own)  # only "fast" is drawn, which every table accepts
    for i in range(5):
        parse_scenario(draw_run(s, 1, i), s.file)
