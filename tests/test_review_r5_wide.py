"""explore at its widest (tests/explore_wide.toml) keeps acked delivery and catches a broken Doer.

Review r5 pushed every range of ``[explore]`` towards its extreme and
combined them with what explore keeps from the file (incast into a 4-datagram
ingress queue, bursts at one instant, memos of 1 byte to four grams, the fast
policy with a window of 4 and 4 tries, a run ending with memos in flight).
Over thousands of such runs SafePeerMemoerDoer broke no invariant; these
runs pin that, and that the same runs still find ForgetfulDoer's one memo in
a thousand lost silently, so the scenario is not too hostile to tell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memosim.testbed.explore import explore
from memosim.testbed.scenario import load_scenario

TESTS = Path(__file__).parent


@pytest.fixture(autouse=True)
def _doers(doers_importable: None) -> None:
    """Every test here names Doers of tests/explore_doers.py."""


def test_the_widest_explore_finds_only_the_forgetful_doer(tmp_path: Path) -> None:
    scenario = load_scenario(str(TESTS / "explore_wide.toml"))
    result = explore(scenario, tmp_path, runs=8, shrink_budget=10)
    safe = [r for r in result.rows if r["doer"] == "SafePeerMemoerDoer"]
    assert len(safe) == 8
    assert [r["violations"] for r in safe] == [[]] * 8
    # the runs are hostile: memos are given up on and some are still in flight
    assert sum(r["gave_up"] for r in safe) > 0
    assert sum(r["memos_delivered"] for r in safe) > 0
    forgetful = [r for r in result.rows if r["doer"] == "explore_doers:ForgetfulDoer"]
    assert [r["violations"] for r in forgetful if r["violations"]] == [["1 lost silently"]]
    assert result.shrunk and result.shrunk[0].violations == ["1 lost silently"]
