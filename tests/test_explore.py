"""memosim explore: the [explore] table, the draws, the invariants, shrinking and replay.

The broken Doers live in tests/explore_doers.py and are named by import path,
as a user names their own; subprocess runs get tests/ on PYTHONPATH.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

from memosim.errors import ScenarioError
from memosim.testbed.explore import check_run, explore, format_summary, kind_of
from memosim.testbed.explore_draw import draw_run
from memosim.testbed.explore_shrink import candidates, shrink
from memosim.testbed.explore_spec import DEFAULTS, parse_explore
from memosim.testbed.invariants import MemoryWatch, conservation
from memosim.testbed.scenario import load_scenario, parse_scenario
from memosim.testbed.scenario_file import scenario_toml

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
MEMOSIM = str(Path(sys.executable).with_name("memosim"))
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))

BASE = textwrap.dedent("""\
    [scenario]
    name = "swarm"
    duration_s = 20.0
    doers = {doers}

    [[peers]]
    name = "alice"
    port = 47301

    [[peers]]
    name = "bob"
    port = 47302

    [[workload]]
    src = "alice"
    dst = "bob"
    count = 200
    interval_s = 0.02
    memo_size = {{ dist = "uniform", min = 100, max = 3000 }}
    """)


def write(tmp_path: Path, doers: str, extra: str = "") -> Path:
    path = tmp_path / "swarm.toml"
    path.write_text(BASE.format(doers=doers) + extra)
    return path


def memosim(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "PYTHONPATH": str(TESTS)}
    return subprocess.run(
        [MEMOSIM, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


# ------------------------------------------------------------- [explore]


def test_an_absent_table_or_key_gets_the_documented_defaults() -> None:
    ranges = parse_explore({"loss": {"rate": [0.1, 0.2]}})
    assert ranges["loss"]["rate"] == (0.1, 0.2)
    assert ranges["loss"]["p"] == DEFAULTS["loss"]["p"]
    assert ranges["delay"] == DEFAULTS["delay"]
    docs = (REPO / "docs" / "scenarios.md").read_text()
    docs = docs[docs.index("## `[explore]`") : docs.index("## Limits")]
    for key, fields in DEFAULTS.items():  # every default is in the docs' table
        row = next(line for line in docs.splitlines() if line.startswith(f"| `{key}` |"))
        for field, value in fields.items():
            shown = json.dumps(list(value)) if isinstance(value, tuple) else json.dumps(value)
            assert f"`{field} = {shown}`" in row, (key, field, row)


@pytest.mark.parametrize(
    "table, line",
    [
        (
            "loss = { rate = [0.1, 2] }",
            "explore.loss.rate: expected a range [low, high] with "
            "0 <= low <= high <= 1, found [0.1, 2]",
        ),
        (
            "loss = { rat = 1 }",
            "explore.loss.rat: expected one of the keys p, rate, found an "
            'unknown key (did you mean "rate"?)',
        ),
        (
            "lose = {}",
            "explore.lose: expected one of the keys loss, gilbert_elliott, delay, "
            "duplicate, reorder, corrupt, partitions, link_down, workload, rate, mtu, retry, "
            "found an unknown key "
            '(did you mean "loss"?)',
        ),
        (
            "partitions = { count = [2, 1] }",
            "explore.partitions.count: expected a range "
            "[low, high] of integers with 0 <= low <= high <= 100, found [2, 1]",
        ),
        (
            "workload = { size = [0, 1] }",
            "explore.workload.size: expected a range [low, high] "
            "of factors with 0 < low <= high <= 1, found [0, 1]",
        ),
        (
            "duplicate = { p = 1.5 }",
            "explore.duplicate.p: expected a probability in [0, 1], found 1.5",
        ),
    ],
)
def test_a_bad_explore_table_is_one_line_naming_the_key(
    tmp_path: Path, table: str, line: str
) -> None:
    path = write(tmp_path, '["SafePeerMemoerDoer"]', f"\n[explore]\n{table}\n")
    done = memosim(tmp_path, "validate", str(path))
    assert done.returncode == 2
    assert done.stderr == f"{path}: {line}\n"
    done = memosim(tmp_path, "explore", str(path), "--runs", "1")
    assert (done.returncode, done.stderr) == (2, f"{path}: {line}\n")


def test_the_table_round_trips_through_the_canonical_document(tmp_path: Path) -> None:
    path = write(tmp_path, '["SafePeerMemoerDoer"]', "\n[explore]\nloss = { p = 0.5 }\n")
    s = load_scenario(path)
    assert s.explore is not None and s.explore["loss"]["p"] == 0.5
    assert parse_scenario(s.to_dict(), str(path)) == s
    assert "explore" not in load_scenario(REPO / "scenarios" / "default.toml").to_dict()


# ------------------------------------------------------------- draws


@pytest.mark.parametrize("file", SCENARIOS, ids=lambda p: p.stem)
def test_every_draw_is_a_valid_scenario_that_round_trips_through_its_file(file: Path) -> None:
    s = load_scenario(file)
    for i in range(5):
        doc = draw_run(s, 11, i)
        assert "explore" not in doc
        one = parse_scenario(doc, str(file))
        again = parse_scenario(tomllib.loads(scenario_toml(doc, "a note")), str(file))
        assert again == one


def test_a_run_draw_depends_on_the_seed_and_its_index_only() -> None:
    s = load_scenario(REPO / "scenarios" / "adversarial.toml")
    assert draw_run(s, 5, 3) == draw_run(s, 5, 3)
    assert draw_run(s, 5, 3) != draw_run(s, 5, 4)
    assert draw_run(s, 5, 3) != draw_run(s, 6, 3)
    seeds = {draw_run(s, 5, i)["scenario"]["seed"] for i in range(20)}
    assert len(seeds) == 20


def test_ranges_bound_what_is_drawn(tmp_path: Path) -> None:
    extra = textwrap.dedent("""
        [explore]
        loss = { p = 1.0, rate = [0.2, 0.25] }
        gilbert_elliott = { p = 0.0 }
        delay = { p = 0.0 }
        duplicate = { p = 0.0 }
        corrupt = { p = 1.0, rate = [0.01, 0.01], deliver = 1.0 }
        partitions = { count = [0, 0] }
        link_down = { p = 0.0 }
        workload = { count = [0.5, 0.5], size = [1.0, 1.0] }
        """)
    s = load_scenario(write(tmp_path, '["SafePeerMemoerDoer"]', extra))
    for i in range(10):
        doc = draw_run(s, 1, i)
        assert [(k["src"], k["dst"]) for k in doc["links"]] == [("alice", "bob"), ("bob", "alice")]
        for link in doc["links"]:
            assert 0.2 <= link["loss"]["rate"] <= 0.25
            assert link["corrupt"] == {"rate": 0.01, "deliver": True}
            assert not {"delay", "reorder", "duplicate", "schedule"} & set(link)
        assert doc["partitions"] == []
        assert doc["workload"][0]["count"] == 100
        assert doc["workload"][0]["memo_size"] == {"dist": "uniform", "min": 100, "max": 3000}


# ------------------------------------------------------------- invariants


def test_conservation_counts_every_datagram() -> None:
    total = {"sent": 10, "duplicated": 2, "delivered": 7, "dropped": {"loss": 3, "partition": 1}}
    assert conservation({"total": total}, 1) == []
    (line,) = conservation({"total": total}, 0)
    assert line == "network: 12 sent (with duplicates) but 11 delivered, dropped or in flight"


class _Rx:
    def __init__(self, partials: int) -> None:
        self.n, self.nbytes, self.whole_bytes, self.done, self.sure = partials, 0, 0, {}, {}

    def __len__(self) -> int:
        return self.n


def test_memory_watch_reports_the_first_excess_over_the_limits() -> None:
    from memosim.core.limits import Limits

    class Engine:
        limits = Limits(max_memos=4)
        rx = _Rx(3)

    class Peer:
        engine = Engine()

    watch = MemoryWatch()
    watch({"bob": Peer()})
    watch.update(1.0, 0)
    assert watch.violations() == []
    Peer.engine.rx.n = 5
    watch.update(2.5, 0)
    Peer.engine.rx.n = 9
    watch.update(3.0, 0)
    assert watch.violations() == ["memory: bob held 5 partial memos at 2.5 s (bound 4)"]


def test_kinds_of_violations() -> None:
    assert kind_of("1,024 lost silently") == "lost silently"
    assert kind_of("2 duplicates delivered") == "duplicates delivered"
    assert kind_of("raised RuntimeError: boom: more") == "raised"
    assert kind_of("memory: bob held 5 partial memos at 2.5 s (bound 4)") == "memory"
    assert kind_of("network: 12 sent ...") == "network"


def test_a_doer_that_raises_is_a_violation_not_a_crash(
    tmp_path: Path, doers_importable: None
) -> None:
    s = load_scenario(write(tmp_path, '["explore_doers:RaisingDoer"]'))
    row = check_run(draw_run(s, 1, 0), s.file, "explore_doers:RaisingDoer")
    assert row["violations"] == ["raised RuntimeError: deliberately broken"]


# ------------------------------------------------------------- shrinking


def test_shrink_keeps_only_what_the_failure_needs() -> None:
    s = load_scenario(REPO / "scenarios" / "adversarial.toml")
    doc = draw_run(s, 2, 1)
    assert len(doc["workload"]) == 3 and any("loss" in k for k in doc["links"])

    def fails(d: dict[str, Any]) -> bool:  # "needs 5 memos in workload 0 and loss on links[1]"
        return d["workload"][0]["count"] >= 5 and "loss" in d["links"][1]

    doc["links"][1]["loss"] = {"rate": 0.3}
    small, steps, spent = shrink(doc, s.file, fails)
    assert small["workload"][0]["count"] == 5
    assert len(small["workload"]) == 1 and small["partitions"] == []
    assert [set(k) - {"src", "dst", "both"} for k in small["links"]] == [set(), {"loss"}]
    assert small["links"][1]["loss"]["rate"] < 0.005  # milder until the floor
    assert small["scenario"]["duration_s"] < s.duration_s
    assert steps and spent <= 200
    for _label, cand in candidates(small):  # every smaller variant passes
        assert not fails(cand) or cand == small


# ------------------------------------------------------------- the command


def test_explore_finds_shrinks_and_replays_a_forgetful_doer(tmp_path: Path) -> None:
    path = TESTS / "explore_forgetful.toml"
    done = memosim(tmp_path, "explore", str(path), "--runs", "20", "--jobs", "1", "--out", "ex")
    assert done.returncode == 1, done.stderr
    out = tmp_path / "ex"
    lines = done.stdout.splitlines()
    # docs/cli.md shows this very output
    text = (REPO / "docs" / "cli.md").read_text()
    shown = text[text.index("$ PYTHONPATH=tests memosim explore") :].split("```")[0]
    assert shown.splitlines()[1:] == lines
    assert lines[0] == "explore forgetful  seed 1  20 runs x 2 Doers"
    safe = lines[3].split()
    assert safe[:3] == ["SafePeerMemoerDoer", "20", "0"]
    forgetful = lines[4].split()
    assert forgetful[0] == "explore_doers:ForgetfulDoer" and int(forgetful[2]) >= 1
    assert int(forgetful[3]) == int(forgetful[2])  # every violation: lost silently
    assert any(x.startswith("VIOLATION run ") and "lost silently" in x for x in lines)
    assert "replay:   memosim run ex/smallest.toml" in lines
    assert lines[-1].startswith("wrote ex/: explore.csv, violations/ (")
    assert lines[-1].endswith(" with traces), smallest.toml, smallest-trace.txt")
    assert "runs/s" in done.stderr

    rows = list(csv.DictReader((out / "explore.csv").open()))
    assert len(rows) == 40
    bad = [r for r in rows if r["violations"]]
    assert {r["doer"] for r in bad} == {"explore_doers:ForgetfulDoer"}

    # the found run replays exactly with memosim run: same digest, same loss
    first = bad[0]
    found = out / "violations" / f"run-{int(first['run']):04d}-explore_doers-ForgetfulDoer"
    replay = memosim(tmp_path, "run", str(found / "scenario.toml"), "--out", "r1", "--json")
    summary = json.loads(replay.stdout)
    one_run = hashlib.sha256(first["trace_digest"].encode()).hexdigest()
    assert summary["trace_digest"] == one_run  # the digest over the file's one Doer
    assert summary["runs"][0]["lost_silently"] == int(first["lost_silently"]) > 0
    assert (found / "trace.txt").read_text().count("\n") > 100

    # the smallest still fails the same way, with fewer memos and a shorter run
    small = load_scenario(out / "smallest.toml")
    big = load_scenario(found / "scenario.toml")
    assert small.memo_count < big.memo_count
    assert small.duration_s < big.duration_s
    assert small.seed == big.seed and small.doers == ("explore_doers:ForgetfulDoer",)
    again = memosim(tmp_path, "run", str(out / "smallest.toml"), "--out", "r2", "--no-plots")
    assert again.returncode == 0
    assert "BREACH" in again.stdout and "lost silently" in again.stdout
    assert (out / "smallest-trace.txt").stat().st_size > 0


def test_explore_is_deterministic_and_quiet_on_real_doers(tmp_path: Path) -> None:
    s = load_scenario(REPO / "scenarios" / "adversarial.toml")
    one = explore(s, tmp_path / "a", runs=6, seed=9)
    two = explore(s, tmp_path / "b", runs=6, seed=9)
    assert one.rows == two.rows
    assert (tmp_path / "a" / "explore.csv").read_bytes() == (
        tmp_path / "b" / "explore.csv"
    ).read_bytes()
    assert one.violating == []
    assert format_summary(one).splitlines()[-1] == "no violation found"
    other = explore(s, tmp_path / "c", runs=6, seed=10)
    assert [r["trace_digest"] for r in other.rows] != [r["trace_digest"] for r in one.rows]


def test_explore_command_errors_are_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, '["SafePeerMemoerDoer"]')
    done = memosim(tmp_path, "explore", str(path), "--runs", "0")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "memosim explore: error: argument --runs: expected an integer >= 1"
    )
    done = memosim(tmp_path, "explore", str(path), "--jobs", "2", "--scheduler", "tcp://x:1")
    assert done.returncode == 2
    assert done.stderr == (
        "memosim explore: error: argument --jobs: not with --scheduler "
        "(the cluster has its workers)\n"
    )
    done = memosim(tmp_path, "explore", str(tmp_path / "nope.toml"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1


def test_an_impairment_that_is_not_a_table_is_an_error() -> None:
    with pytest.raises(ScenarioError) as ex:
        parse_explore({"loss": []})
    assert str(ex.value) == "explore.loss: expected a table {p, rate}, found []"


def test_explore_shrinks_each_distinct_failure_of_a_doer(tmp_path: Path) -> None:
    """A Doer that loses some memos and delivers others twice fails two ways:
    each gets its own smallest scenario, which replays that very failure."""
    path = TESTS / "explore_two_ways.toml"
    done = memosim(tmp_path, "explore", str(path), "--runs", "12", "--jobs", "1", "--out", "ex")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    smallest = [line for line in lines if line.startswith("smallest: ")]
    assert [line.split()[1] for line in smallest] == ["ex/smallest.toml", "ex/smallest-2.toml"]
    kinds = [line.split("(", 1)[1].split(";")[0] for line in smallest]
    assert sorted(k.split(" ", 1)[1] for k in kinds) == ["duplicates delivered", "lost silently"]
    assert lines[-1].endswith(
        "smallest.toml, smallest-trace.txt, smallest-2.toml, smallest-2-trace.txt"
    )
    out = tmp_path / "ex"
    for name, kind in zip(("smallest", "smallest-2"), kinds):
        assert (out / f"{name}-trace.txt").stat().st_size > 0
        small = load_scenario(out / f"{name}.toml")
        assert small.memo_count < 60  # shrunk from the drawn run's 60 memos
        again = memosim(tmp_path, "run", str(out / f"{name}.toml"), "--out", name, "--json")
        run = json.loads(again.stdout)["runs"][0]
        field = "duplicates_delivered" if "duplicates" in kind else "lost_silently"
        assert run[field] >= 1, (name, run)


def test_distinct_failures_are_one_per_doer_and_kind_in_run_order() -> None:
    from memosim.testbed.explore import distinct_failures

    rows = [
        {"run": 0, "doer": "A", "violations": ["1 lost silently"]},
        {"run": 1, "doer": "A", "violations": ["2 lost silently"]},
        {"run": 2, "doer": "B", "violations": ["1 lost silently"]},
        {"run": 3, "doer": "A", "violations": ["1 duplicates delivered", "1 lost silently"]},
        {"run": 4, "doer": "A", "violations": ["raised ValueError: x"]},
    ]
    found = [(r["run"], kind) for r, kind in distinct_failures(rows)]
    assert found == [
        (0, "lost silently"),
        (2, "lost silently"),
        (3, "duplicates delivered"),  # beside a kind A broke before: still its own
        (4, "raised"),
    ]


def test_the_summary_says_how_many_distinct_failures_were_not_shrunk() -> None:
    from memosim.testbed.explore import MAX_SHRUNK, ExploreResult, Shrunk

    kinds = ["1 lost silently", "1 duplicates delivered", "1 corrupt delivered", "raised X: y"]
    result = ExploreResult("s", 1, 5, ["A"])
    result.rows = [
        {"run": i, "seed": i, "doer": "A", "violations": [v]} for i, v in enumerate(kinds)
    ]
    result.shrunk = [
        Shrunk("A", kind.split(" ", 1)[1], i, Path(f"smallest-{i}.toml"), [], 3, [kind])
        for i, kind in enumerate(kinds[:MAX_SHRUNK])
    ]
    assert format_summary(result).splitlines()[-1] == (
        "... and 1 more distinct failure (Doer and kind) not shrunk: at most 3 are"
    )
    result.rows.pop()  # as many failures as were shrunk: nothing more to say
    assert format_summary(result).splitlines()[-1].startswith("replay:   memosim run ")


def test_explore_removes_the_files_an_earlier_exploration_left(tmp_path: Path) -> None:
    """With --force into an old results directory, an old smallest-3.toml or
    violations/ case must not pass for this exploration's; other files stay."""
    out = tmp_path / "ex"
    stale = [
        out / "smallest.toml",
        out / "smallest-3.toml",
        out / "smallest-3-trace.txt",
        out / "violations" / "run-0042-A" / "scenario.toml",
        out / "violations" / "run-0043-A",
    ]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("old\n")
    (out / "notes.txt").write_text("mine\n")
    s = load_scenario(REPO / "scenarios" / "adversarial.toml")
    result = explore(s, out, runs=2, seed=9)
    assert result.violating == []
    assert not any(p.exists() for p in stale)
    assert sorted(p.name for p in out.iterdir()) == ["explore.csv", "notes.txt", "violations"]
    assert (out / "notes.txt").read_text() == "mine\n"
