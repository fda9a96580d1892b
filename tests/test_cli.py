"""The memosim command: `run` outputs, the table, and one-line errors with exit status 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from memosim.cli import main
from memosim.testbed.report import format_table
from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import load_scenario

TINY = textwrap.dedent("""\
    [scenario]
    name = "tiny"
    description = "two peers, 10% loss each way"
    duration_s = 3.0
    seed = 3

    [[peers]]
    name = "alice"
    port = 47951

    [[peers]]
    name = "bob"
    port = 47952

    [[links]]
    src = "alice"
    dst = "bob"
    both = true
    loss = { rate = 0.1 }
    delay = { base_s = 0.005, jitter_s = 0.001 }

    [[workload]]
    src = "alice"
    dst = "bob"
    count = 20
    interval_s = 0.05
    memo_size = { dist = "fixed", bytes = 3000 }
    """)

SUMMARY_TOP = ["scenario", "seed", "backend", "trace_digest", "runs"]
RUN_KEYS = [
    "doer",
    "promises_acked",
    "memos_sent",
    "memos_delivered",
    "delivery_ratio",
    "duplicates_delivered",
    "corrupt_delivered",
    "latency_s",
    "grams_sent",
    "grams_retransmitted",
    "spurious_retransmissions",
    "acks_sent",
    "wire_bytes",
    "overhead_ratio",
    "goodput_bps",
    "gave_up",
    "lost_silently",
    "in_flight_at_end",
    "false_give_ups",
    "congestion",
    "sim_s",
    "wall_s",
    "links",
    "by_peer",
]
#: A sim run's summary.json leaves the wall time out (report.summary_document).
SIM_RUN_KEYS = [k for k in RUN_KEYS if k != "wall_s"]
MEMO_HEADER = [
    "doer",
    "workload",
    "src",
    "dst",
    "index",
    "bytes",
    "sent_s",
    "delivered_s",
    "latency_s",
    "copies",
    "outcome",
    "failed",
]
TABLE_LABELS = [
    "memos sent",
    "memos delivered",
    "delivery ratio",
    "duplicates delivered",
    "corrupt delivered",
    "latency p50 (ms)",
    "latency p90 (ms)",
    "latency p99 (ms)",
    "latency max (ms)",
    "grams sent",
    "grams retransmitted",
    "spurious retransmissions",
    "acks sent",
    "wire bytes",
    "overhead ratio",
    "goodput (kbit/s)",
    "gave up",
    "lost silently",
    "in flight at end",
    "false give-ups",
    "mean window (grams)",
    "loss events",
    "queue drops",
    "sim s",
    "wall s",
]
DOERS = ["PeerMemoerDoer", "SafePeerMemoerDoer"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch) -> None:
    """Default output directories (results/...) land in tmp_path, not the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def assert_png(path: Path) -> None:
    from matplotlib.image import imread

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert len(data) > 10_000, f"{path} is only {len(data)} bytes"
    img = imread(path)
    assert img.shape[0] >= 300 and img.shape[1] >= 500
    assert img[..., :3].std() > 0.05, f"{path} looks blank"


def test_run_prints_table_and_writes_results(tiny: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "res"
    assert main(["run", str(tiny), "--out", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    assert stderr == ""
    for label in TABLE_LABELS:
        assert label in stdout
    header = next(line for line in stdout.splitlines() if "PeerMemoerDoer" in line)
    assert header.split() == DOERS

    doc = json.loads((out / "summary.json").read_text())
    assert list(doc) == SUMMARY_TOP
    assert (doc["scenario"], doc["seed"], doc["backend"]) == ("tiny", 3, "sim")
    assert len(doc["trace_digest"]) == 64
    assert [r["doer"] for r in doc["runs"]] == DOERS
    for run in doc["runs"]:
        assert list(run) == SIM_RUN_KEYS
        assert list(run["latency_s"]) == ["p50", "p90", "p99", "max"]
        assert run["memos_sent"] == 20
    safe = doc["runs"][1]
    assert safe["delivery_ratio"] == 1.0 and safe["grams_retransmitted"] > 0

    with (out / "memos.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == MEMO_HEADER
    assert len(rows) == 1 + 2 * 20
    assert {r[0] for r in rows[1:]} == set(DOERS)

    for name in ("latency.png", "delivery.png"):
        assert_png(out / name)
    assert f"wrote {out}/" in stdout
    assert "\x1b" not in stdout  # captured stdout is no terminal: no colour


def test_run_seed_and_default_out(tiny: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(tiny), "--seed", "-7", "--no-plots"]) == 0
    out = tmp_path / "results" / "tiny" / "sim-seed-7"
    assert json.loads((out / "summary.json").read_text())["seed"] == -7
    assert sorted(p.name for p in out.iterdir()) == ["memos.csv", "summary.json", "timeline.jsonl"]
    printed = capsys.readouterr().out
    assert "scenario tiny  seed -7  backend sim" in printed
    assert (
        printed.splitlines()[-1]
        == "wrote results/tiny/sim-seed-7/: summary.json, memos.csv, timeline.jsonl"
    )


def test_run_is_deterministic(tiny: Path, tmp_path: Path) -> None:
    docs = []
    for k in range(2):
        out = tmp_path / f"r{k}"
        assert main(["run", str(tiny), "--out", str(out), "--no-plots"]) == 0
        docs.append(((out / "summary.json").read_bytes(), (out / "memos.csv").read_bytes()))
    assert docs[0] == docs[1]


def test_table_of_summary_dict(tiny: Path) -> None:
    result = run_scenario(load_scenario(tiny))
    text = format_table(result)
    assert text == format_table(result.summary())
    lines = text.splitlines()
    assert lines[0].startswith("scenario tiny  seed 3  backend sim  trace ")
    assert len(lines) == 3 + len(TABLE_LABELS) + 3  # and the links: a head, a row per link
    assert lines[-2:][0].split()[0] == "alice->bob"
    row = next(line for line in lines if line.startswith("memos sent"))
    assert row.split()[-2:] == ["20", "20"]


BAD_TOML = "[scenario]\nduration_s = 3.0\nseed = \n"
BAD_VALUE = TINY.replace("rate = 0.1 }", "rate = 1.5 }")
UNKNOWN_KEY = TINY.replace("loss = {", "los = {")


@pytest.mark.parametrize(
    ("argv", "content", "fragment"),
    [
        (
            ["run", "{dir}/missing.toml"],
            None,
            "missing.toml: expected a readable scenario file, found no such file",
        ),
        (["run", "{file}"], BAD_TOML, "bad.toml: line 3, column 8: expected valid TOML"),
        (
            ["run", "{file}"],
            BAD_VALUE,
            "bad.toml: links[0].loss.rate: expected a number in [0, 1], found 1.5",
        ),
        (["run", "{file}"], UNKNOWN_KEY, 'found an unknown key (did you mean "loss"?)'),
        (["run", "{dir}"], None, "expected a readable scenario file, found is a directory"),
        (["run", "{file}", "--backend", "tcp"], TINY, "argument --backend: invalid choice: 'tcp'"),
        (
            ["run", "{file}", "--seed", "one"],
            TINY,
            "argument --seed: expected an integer, found 'one'",
        ),
        (
            ["run", "{file}", "--seed", "1.5"],
            TINY,
            "argument --seed: expected an integer, found '1.5'",
        ),
        (["run", "{file}", "--out", "{file}"], TINY, "is a file, not a directory"),
        (["run"], None, "the following arguments are required: FILE"),
        ([], None, "memosim: error: the following arguments are required: COMMAND"),
        (["walk"], None, "invalid choice: 'walk'"),
        (["sweep", "{file}"], TINY, "the following arguments are required: --param"),
        (["sweep", "{file}", "--param", "loss"], TINY, "argument --param: expected PATH=V1,V2,..."),
        (
            ["sweep", "{file}", "--param", "links.0.loss.rate="],
            TINY,
            "expected a comma-separated list of values",
        ),
        (
            ["sweep", "{file}", "--param", "links.0.loss.rate=0.1,0.1"],
            TINY,
            "expected each value once",
        ),
        (
            ["sweep", "{file}", "--param", "links.0.loss.rate=0.1,2"],
            TINY,
            "bad.toml with links.0.loss.rate = 2: links[0].loss.rate: expected a number in [0, 1] (a fraction: 0.02 for 2%), found 2",
        ),
        (
            ["sweep", "{file}", "--param", "links.3.loss.rate=0.1"],
            TINY,
            "links: expected an index below 1, found 3",
        ),
        (["sweep", "{file}", "--param", "a=1", "--param", "a=2"], TINY, "a is swept twice"),
        (
            ["sweep", "{file}", "--param", "links.0.loss.rate=0.1", "--seeds", "0"],
            TINY,
            "argument --seeds: expected an integer >= 1, found 0",
        ),
        (
            ["sweep", "{file}", "--param", "links.0.loss.rate=0.1", "--jobs", "two"],
            TINY,
            "argument --jobs: expected an integer >= 1, found 'two'",
        ),
        (
            ["sweep", "{file}", "--param", "links.0.loss.rate=0.1", "--backend", "udp"],
            TINY,
            "sweeps run on the sim backend only",
        ),
        (
            ["sweep", "{file}", "--param", "links.0.loss.rate=0.1"],
            BAD_VALUE,
            "links[0].loss.rate: expected a number",
        ),
    ],
)
def test_user_errors_are_one_line_exit_2(tmp_path: Path, capsys, argv, content, fragment) -> None:
    file = tmp_path / "bad.toml"
    if content is not None:
        file.write_text(content)
    argv = [a.format(dir=tmp_path, file=file) for a in argv]
    assert main(argv) == 2
    stdout, stderr = capsys.readouterr()
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert fragment in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "results").exists()  # nothing created for a failed command


def test_errors_through_the_interpreter(tmp_path: Path) -> None:
    """No traceback from a real process either (what the console script runs)."""
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_VALUE)
    proc = subprocess.run(
        [sys.executable, "-m", "memosim.cli", "run", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"{bad}: links[0].loss.rate: expected a number in [0, 1], found 1.5"
    ]


def test_help_exits_0(capsys) -> None:
    assert main(["run", "--help"]) == 0
    assert "--backend" in capsys.readouterr().out


def test_udp_backend_missing_is_one_line(tiny: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "memosim.testbed.udprun", None)
    assert main(["run", str(tiny), "--backend", "udp", "--out", str(tmp_path / "o")]) == 1
    stdout, stderr = capsys.readouterr()
    assert stdout == ""
    assert stderr == (
        "memosim run: error: the udp backend is not available in this "
        "installation (memosim.testbed.udprun is missing)\n"
    )


@pytest.mark.udp
def test_run_udp_backend(tmp_path: Path, capsys) -> None:
    path = tmp_path / "short.toml"
    path.write_text(
        TINY.replace("duration_s = 3.0", "duration_s = 1.2").replace("count = 20", "count = 10")
    )
    out = tmp_path / "udp"
    assert main(["run", str(path), "--backend", "udp", "--out", str(out), "--no-plots"]) == 0
    doc = json.loads((out / "summary.json").read_text())
    assert list(doc) == ["scenario", "seed", "backend", "runs"]
    assert doc["backend"] == "udp"
    assert [list(r) for r in doc["runs"]] == [RUN_KEYS, RUN_KEYS]
    assert "backend udp" in capsys.readouterr().out
