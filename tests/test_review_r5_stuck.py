"""explore calls a memo that outlives its sender's max_tyme unsettled a violation.

The acked promise is that every Sure memo is, in the end, delivered or
reported in ``failures``. A run ends with some memos still in flight, so
explore took every memo the sender held unsettled at the end as fine: a
Doer that never gave up (tests/explore_doers.py's FrozenDoer, whose clock
stops at 1 s) passed every run while its lost memos waited for ever. A wound
sender fails a memo max_tyme after it was queued, so one still held well
after that is stuck (invariants.stuck), found on 30% loss in every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memosim.testbed.explore import check_run, explore
from memosim.testbed.scenario import load_scenario

TESTS = Path(__file__).parent


@pytest.fixture(autouse=True)
def _doers(doers_importable: None) -> None:
    """Every test here names Doers of tests/explore_doers.py."""


DOC = {
    "scenario": {"name": "stuck", "duration_s": 15.0},
    "retry": {"max_tyme": 3.0},
    "peers": [{"name": "alice", "port": 47301}, {"name": "bob", "port": 47302}],
    "links": [{"src": "alice", "dst": "bob", "both": True, "loss": {"rate": 0.3}}],
    "workload": [
        {
            "src": "alice",
            "dst": "bob",
            "count": 40,
            "interval_s": 0.1,
            "memo_size": {"dist": "fixed", "bytes": 3000},
        }
    ],
}


def test_a_doer_that_never_gives_up_is_stuck_and_the_safe_doer_is_not() -> None:
    frozen = check_run(DOC, "s.toml", "explore_doers:FrozenDoer")
    stuck = [v for v in frozen["violations"] if v.endswith("stuck past max_tyme")]
    assert stuck, frozen["violations"]
    assert int(stuck[0].split()[0]) > 0
    safe = check_run(DOC, "s.toml", "SafePeerMemoerDoer")
    assert safe["violations"] == []


def test_memos_queued_within_max_tyme_of_the_end_are_not_stuck() -> None:
    doc = dict(DOC, scenario={"name": "stuck", "duration_s": 6.0})
    doc["workload"] = [dict(DOC["workload"][0], count=10, start_s=4.0, interval_s=0.1)]
    row = check_run(doc, "s.toml", "explore_doers:FrozenDoer")
    assert row["violations"] == []  # every memo still within its 3 s at the end


def test_explore_finds_and_shrinks_the_frozen_doer(tmp_path: Path) -> None:
    path = tmp_path / "frozen.toml"
    path.write_text(
        (TESTS / "explore_forgetful.toml")
        .read_text()
        .replace("explore_doers:ForgetfulDoer", "explore_doers:FrozenDoer")
        + "\n[retry]\nmax_tyme = 3.0\n"
    )
    result = explore(load_scenario(str(path)), tmp_path / "out", runs=6, shrink_budget=30)
    frozen = [r for r in result.rows if r["doer"] == "explore_doers:FrozenDoer"]
    assert any("stuck past max_tyme" in v for r in frozen for v in r["violations"])
    safe = [r for r in result.rows if r["doer"] == "SafePeerMemoerDoer"]
    assert all(r["violations"] == [] for r in safe)
    assert result.shrunk and result.shrunk[0].kind == "stuck past max_tyme"
    assert result.shrunk[0].violations[0].endswith("stuck past max_tyme")
