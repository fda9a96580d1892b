"""A scenario may not retry acked memos longer than receivers remember them.

Exactly-once rests on the receiver remembering a delivered Sure memo's id
(Limits.done_expiry, 120 s) longer than its sender retries it (max_tyme)
plus the network's delay (docs/acked-delivery.md). A scenario cannot set
done_expiry, yet it accepted any max_tyme: with max_tyme = 300 and the ack
path down for 250 s, each memo's retries reached the receiver after it had
forgotten the id, and every memo was delivered three times (found in
review r5 by a hand-made scenario: explore keeps the file's [retry]). The loader now refuses a max_tyme above half of
done_expiry, leaving the other half for network delay, as the defaults do.
"""

from __future__ import annotations

import pytest

from memosim.core.limits import Limits
from memosim.errors import ScenarioError
from memosim.testbed.scenario import parse_scenario
from memosim.testbed.simrun import run_sim


def _doc(max_tyme: float, where: str = "top") -> dict:
    doc: dict = {
        "scenario": {"name": "long-tyme", "duration_s": 400.0, "doers": ["SafePeerMemoerDoer"]},
        "peers": [{"name": "alice", "port": 47301}, {"name": "bob", "port": 47302}],
        "links": [
            {
                "src": "bob",
                "dst": "alice",
                "schedule": [{"at": 0.0, "state": "down"}, {"at": 250.0, "state": "up"}],
            }
        ],
        "workload": [
            {
                "src": "alice",
                "dst": "bob",
                "count": 3,
                "interval_s": 0.1,
                "memo_size": {"dist": "fixed", "bytes": 100},
            }
        ],
    }
    retry = {"max_tyme": max_tyme, "max_tries": 50, "max_rto": 10.0}
    if where == "top":
        doc["retry"] = retry
    else:
        doc["peers"][0]["retry"] = retry
    return doc


BOUND = Limits().done_expiry / 2


@pytest.mark.parametrize(("where", "path"), [("top", "retry"), ("peer", "peers[0].retry")])
def test_a_max_tyme_past_the_receivers_memory_is_refused(where: str, path: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_doc(300.0, where), "s.toml")
    text = str(caught.value)
    assert text.startswith(f"s.toml: {path}.max_tyme: expected a number in (0, {BOUND:g}]")
    assert text.endswith("found 300") or text.endswith("found 300.0")
    assert "\n" not in text


def test_the_longest_max_tyme_allowed_delivers_each_memo_once() -> None:
    scenario = parse_scenario(_doc(BOUND), "s.toml")
    s = run_sim(scenario, "SafePeerMemoerDoer", 1).summary
    assert s["memos_delivered"] == 3
    assert s["duplicates_delivered"] == 0
    assert s["lost_silently"] == 0
