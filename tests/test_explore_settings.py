"""memosim explore's opt-in draws: a bottleneck, a small MTU and retry settings.

They are off unless the [explore] table gives them a chance p; each draws
from a stream of its own, so turning one on leaves every other draw of a run
as it was, and a run with all of them on still keeps acked delivery's promise.
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from memosim.errors import ScenarioError
from memosim.testbed.explore import check_run, explore
from memosim.testbed.explore_draw import draw_run
from memosim.testbed.explore_shrink import candidates
from memosim.testbed.explore_spec import DEFAULTS, parse_explore
from memosim.testbed.scenario import Scenario, load_scenario, parse_scenario

REPO = Path(__file__).resolve().parents[1]
ADVERSARIAL = REPO / "scenarios" / "adversarial.toml"

SCENARIO = textwrap.dedent("""\
    [scenario]
    name = "settings"
    duration_s = 20.0
    doers = ["SafePeerMemoerDoer"]

    [retry]
    max_tyme = 8.0

    [[peers]]
    name = "alice"
    port = 47321
    retry = {{ min_rto = 0.05 }}

    [[peers]]
    name = "bob"
    port = 47322

    [[workload]]
    src = "alice"
    dst = "bob"
    count = 40
    interval_s = 0.05
    memo_size = {{ dist = "uniform", min = 1, max = 4000 }}

    [explore]
    {table}
    """)


def settings(tmp_path: Path, table: str) -> Scenario:
    path = tmp_path / "settings.toml"
    path.write_text(SCENARIO.format(table=table))
    return load_scenario(path)


def with_ranges(s: Scenario, **tables: dict[str, Any]) -> Scenario:
    ranges = dict(s.explore if s.explore is not None else DEFAULTS)
    parsed = parse_explore(tables)
    ranges.update({k: parsed[k] for k in tables})
    return dataclasses.replace(s, explore=MappingProxyType(ranges))


def without(link: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in link.items() if k not in keys}


def test_they_are_off_unless_the_table_turns_them_on() -> None:
    for key in ("rate", "mtu", "retry"):
        assert DEFAULTS[key]["p"] == 0.0
    s = load_scenario(ADVERSARIAL)
    file_retry = s.to_dict().get("retry")
    for i in range(30):
        doc = draw_run(s, 4, i)
        assert not any({"rate", "mtu"} & set(link) for link in doc["links"])
        assert doc.get("retry") == file_retry


def test_turning_them_on_leaves_every_other_draw_as_it_was() -> None:
    s = load_scenario(ADVERSARIAL)
    on = with_ranges(s, rate={"p": 1.0}, mtu={"p": 1.0}, retry={"p": 1.0})
    for i in range(20):
        before, after = draw_run(s, 7, i), draw_run(on, 7, i)
        assert [without(k, "rate", "mtu") for k in after["links"]] == before["links"]
        for key in ("scenario", "partitions", "workload", "peers"):
            assert after[key] == before[key]
        assert all({"rate", "mtu"} <= set(k) for k in after["links"])
        assert after["retry"] != before.get("retry")


def test_the_ranges_bound_what_is_drawn_and_retry_reaches_every_peer(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        "rate = { p = 1.0, bps = [200000, 300000], queue_limit = [5, 6] }\n"
        "mtu = { p = 1.0, bytes = [600, 700] }\n"
        "retry = { p = 1.0, fast = 1.0, window = [3, 4], newreno = 0.0, max_tries = [2, 2] }",
    )
    policies: set[tuple[str, int, int]] = set()
    for i in range(20):
        doc = draw_run(s, 1, i)
        for link in doc["links"]:
            assert 200_000 <= link["rate"]["bps"] <= 300_000
            assert link["rate"]["queue_limit"] in (5, 6)
            assert 600 <= link["mtu"] <= 700
        drawn = doc["retry"]
        assert drawn["policy"] == "fast" and drawn["congestion"] == "none"
        assert drawn["window"] in (3, 4) and drawn["max_tries"] == 2
        assert drawn["max_tyme"] == 8.0  # the file's other settings stay
        alice = doc["peers"][0]["retry"]
        assert alice == {"min_rto": 0.05, **{k: drawn[k] for k in alice if k != "min_rto"}}
        assert {"policy", "window", "congestion", "max_tries"} <= set(alice)
        assert "retry" not in doc["peers"][1]  # bob had none: the [retry] table is his
        for peer in parse_scenario(doc, s.file).peers:  # what each peer runs with
            policies.add((peer.retry.policy, peer.retry.window, peer.retry.max_tries))
    assert policies <= {("fast", 3, 2), ("fast", 4, 2)} and len(policies) == 2


def test_the_draws_are_spread_over_their_ranges(tmp_path: Path) -> None:
    s = settings(tmp_path, "rate = { p = 0.5 }\nretry = { p = 0.5 }")
    docs = [draw_run(s, 2, i) for i in range(200)]
    rated = [k["rate"] for d in docs for k in d["links"] if "rate" in k]
    assert 140 < len(rated) < 260  # half of 400 links
    assert min(r["bps"] for r in rated) < 2_000_000 < 8_000_000 < max(r["bps"] for r in rated)
    retried = [d["retry"] for d in docs if d["retry"] != {"max_tyme": 8.0}]
    assert 70 < len(retried) < 130
    assert {r["policy"] for r in retried} == {"fast", "rto"}
    assert {r["congestion"] for r in retried} == {"newreno", "none"}
    windows = [r["window"] for r in retried]
    assert min(windows) <= 4 and max(windows) >= 60 and all(1 <= w <= 64 for w in windows)


@pytest.mark.parametrize(
    "table, line",
    [
        (
            "rate = { bps = [0, 1000] }",
            "explore.rate.bps: expected a range [low, high] of bits per second "
            "with 1 <= low <= high, found [0, 1000]",
        ),
        (
            "rate = { queue_limit = [0, 4] }",
            "explore.rate.queue_limit: expected a range [low, high] of integers "
            "with 1 <= low <= high <= 100,000, found [0, 4]",
        ),
        (
            "mtu = { bytes = [20, 1500] }",
            "explore.mtu.bytes: expected a range [low, high] of integers "
            "with 29 <= low <= high <= 65535, found [20, 1500]",
        ),
        (
            "retry = { window = [1.5, 4] }",
            "explore.retry.window: expected a range [low, high] of integers "
            "with 1 <= low <= high <= 100,000, found [1.5, 4]",
        ),
        (
            "retry = { fast = 2 }",
            "explore.retry.fast: expected a probability in [0, 1], found 2",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key(tmp_path: Path, table: str, line: str) -> None:
    with pytest.raises(ScenarioError) as err:
        settings(tmp_path, table)
    assert str(err.value) == f"{tmp_path / 'settings.toml'}: {line}"


def test_shrinking_can_take_a_bottleneck_or_an_mtu_away() -> None:
    s = with_ranges(load_scenario(ADVERSARIAL), rate={"p": 1.0}, mtu={"p": 1.0})
    labels = [label for label, _doc in candidates(draw_run(s, 3, 0))]
    assert "links[0] without rate" in labels and "links[1] without mtu" in labels


def test_acked_delivery_keeps_its_promise_with_every_setting_drawn(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        "rate = { p = 0.7, bps = [100000, 2000000], queue_limit = [2, 16] }\n"
        "mtu = { p = 0.3, bytes = [800, 1500] }\n"
        "retry = { p = 1.0 }",
    )
    result = explore(s, tmp_path / "out", runs=8, seed=6)
    assert result.violating == []
    drawn = [draw_run(s, 6, i)["retry"] for i in range(8)]
    assert len({(d["policy"], d["congestion"]) for d in drawn}) >= 3  # more than one setting
    assert sum(r["gave_up"] for r in result.rows) > 0  # small MTUs fail memos: reported


def test_a_small_mtu_fails_memos_it_cannot_carry_and_reports_them(tmp_path: Path) -> None:
    s = settings(tmp_path, "mtu = { p = 1.0, bytes = [600, 600] }")
    doc = draw_run(s, 1, 0)
    row = check_run(doc, s.file, "SafePeerMemoerDoer")
    assert row["violations"] == []
    assert row["gave_up"] > 0 and row["memos_delivered"] > 0  # one-gram memos still fit
