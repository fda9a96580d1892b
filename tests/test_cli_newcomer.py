"""The memosim command as a newcomer uses it, each through the installed command
in a subprocess: results never overwritten, progress only on a terminal, a fast
start without plots, Ctrl-C and SIGTERM, hostile scenarios refused, and the
small conveniences (list, validate, --doer, --json, python -m memosim)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from test_cli import TINY as TINY_3S

REPO = Path(__file__).resolve().parents[1]
MEMOSIM = str(Path(sys.executable).with_name("memosim"))
ENV = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}

# test_cli's two-peer scenario, with its duration settable
TINY = (
    TINY_3S.replace("{", "{{")
    .replace("}", "}}")
    .replace("duration_s = 3.0", "duration_s = {duration}")
)


def tiny(folder: Path, duration: float = 3.0, name: str = "tiny.toml") -> Path:
    path = folder / name
    path.write_text(TINY.format(duration=duration))
    return path


def memosim(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MEMOSIM, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=ENV
    )


def on_pty(argv: list[str], cwd: Path, timeout: float = 60) -> tuple[int, str, str]:
    """Run with stderr on a 100-column terminal; (status, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.PIPE, stderr=slave, text=True, env=ENV | {"TERM": "xterm"}
    )
    os.close(slave)
    got = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        got += chunk
    out = proc.communicate(timeout=timeout)[0]
    os.close(master)
    return proc.returncode, out, got.decode("utf-8", "replace")


# ------------------------------------------------------- results never lost


def test_each_run_gets_its_own_directory(tmp_path: Path) -> None:
    scen = tiny(tmp_path)
    lines = []
    for args in ([], [], ["--seed", "4"], ["--backend", "sim", "--doer", "PeerMemoerDoer"]):
        done = memosim("run", str(scen), "--no-plots", *args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        lines.append(done.stdout.splitlines()[-1])
    assert lines == [
        "wrote results/tiny/sim-seed3/: summary.json, memos.csv, timeline.jsonl",
        "wrote results/tiny/sim-seed3-2/: summary.json, memos.csv, timeline.jsonl",
        "wrote results/tiny/sim-seed4/: summary.json, memos.csv, timeline.jsonl",
        "wrote results/tiny/sim-seed3-3/: summary.json, memos.csv, timeline.jsonl",
    ]
    doc = json.loads((tmp_path / "results/tiny/sim-seed3-3/summary.json").read_text())
    assert [r["doer"] for r in doc["runs"]] == ["PeerMemoerDoer"]


def test_out_refuses_another_runs_results_unless_force(tmp_path: Path) -> None:
    scen = tiny(tmp_path)
    out = tmp_path / "r"
    assert memosim("run", str(scen), "--no-plots", "--out", str(out), cwd=tmp_path).returncode == 0
    before = (out / "summary.json").read_text()
    # the same run again (as make demo does): replaced
    again = memosim("run", str(scen), "--no-plots", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    # another run: refused, one line, nothing changed
    other = memosim("run", str(scen), "--no-plots", "--out", str(out), "--seed", "9", cwd=tmp_path)
    assert other.returncode == 2 and other.stdout == ""
    assert other.stderr == (
        f"memosim run: error: argument --out: '{out}' holds another run "
        "(scenario tiny, backend sim, seed 3, PeerMemoerDoer and "
        "SafePeerMemoerDoer); choose another directory, or --force to "
        "overwrite it\n"
    )
    assert json.loads((out / "summary.json").read_text())["seed"] == 3
    assert (out / "summary.json").read_text().split('"runs"')[0] == before.split('"runs"')[0]
    forced = memosim(
        "run", str(scen), "--no-plots", "--out", str(out), "--seed", "9", "--force", cwd=tmp_path
    )
    assert forced.returncode == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == 9
    # a directory of something else
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused = memosim("run", str(scen), "--out", str(mine), cwd=tmp_path)
    assert refused.returncode == 2
    assert "is not empty and holds no memosim run" in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_sweep_never_reuses_a_directory(tmp_path: Path) -> None:
    scen = tiny(tmp_path)
    args = ("sweep", str(scen), "--param", "links.0.loss.rate=0.1", "--no-plots", "--jobs", "1")
    first = memosim(*args, cwd=tmp_path)
    second = memosim(*args, cwd=tmp_path)
    assert first.stdout.splitlines()[-1].startswith("wrote results/tiny-sweep/: ")
    assert second.stdout.splitlines()[-1].startswith("wrote results/tiny-sweep-2/: ")
    refused = memosim(*args, "--out", "results/tiny-sweep", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == (
        "memosim sweep: error: argument --out: 'results/tiny-sweep' is "
        "not empty; choose another directory, or --force to write into "
        "it\n"
    )
    assert memosim(*args, "--out", "results/tiny-sweep", "--force", cwd=tmp_path).returncode == 0


# ------------------------------------------------------------ progress


@pytest.mark.udp
def test_udp_run_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    scen = tiny(tmp_path, duration=1.5)
    argv = [
        MEMOSIM,
        "run",
        str(scen),
        "--backend",
        "udp",
        "--no-plots",
        "--doer",
        "SafePeerMemoerDoer",
    ]
    status, out, term = on_pty([*argv, "--out", "a"], tmp_path)
    assert status == 0
    assert "SafePeerMemoerDoer" in term and "tyme" in term and "delivered" in term
    assert "duration s" in out  # the run's length on udp is real seconds
    status, out, term = on_pty([*argv, "--out", "b", "--quiet"], tmp_path)
    assert status == 0 and term == ""
    piped = memosim(*argv[1:], "--out", "c", cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""


def test_progress_does_not_change_the_simulation(tmp_path: Path) -> None:
    from memosim.testbed.progress import RunProgress
    from memosim.testbed.runner import run_scenario
    from memosim.testbed.scenario import load_scenario

    class Seen(RunProgress):
        def __init__(self) -> None:
            super().__init__(every=1)
            self.calls: list[tuple[str, float, int]] = []

        def start(self, doer: str, duration: float, backend: str) -> None:
            self.calls.append((doer, duration, -1))

        def update(self, tyme: float, delivered: int) -> None:
            self.calls.append(("", tyme, delivered))

    s = load_scenario(REPO / "scenarios" / "loss-5.toml")
    seen = Seen()
    with_bar = run_scenario(s, progress=seen)
    without = run_scenario(s)
    assert with_bar.trace_digest == without.trace_digest
    assert [c for c in seen.calls if c[2] == -1] == [
        ("PeerMemoerDoer", 15.0, -1),
        ("SafePeerMemoerDoer", 15.0, -1),
    ]
    last = seen.calls[-1]
    assert last[2] == without.runs[-1].summary["memos_delivered"]
    # and the command on a terminal gives the digest it gives in a pipe
    status, out, _ = on_pty(
        [MEMOSIM, "run", "scenarios/loss-5.toml", "--no-plots", "--out", str(tmp_path / "t")], REPO
    )
    piped = memosim(
        "run", "scenarios/loss-5.toml", "--no-plots", "--out", str(tmp_path / "p"), cwd=REPO
    )
    assert status == 0 and out.splitlines()[0] == piped.stdout.splitlines()[0]
    assert f"trace {without.trace_digest[:16]}" in out.splitlines()[0]


# ------------------------------------------------------------ fast start


def test_no_plots_never_imports_matplotlib(tmp_path: Path) -> None:
    for argv in (
        ["run", "scenarios/loss-5.toml", "--no-plots", "--out", str(tmp_path / "o")],
        ["validate", "scenarios/loss-5.toml"],
        ["list"],
    ):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "memosim", *argv],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            env=ENV,
        )
        assert done.returncode == 0, done.stderr
        imported = [
            line.rsplit("|", 1)[-1].strip()
            for line in done.stderr.splitlines()
            if line.startswith("import time:")
        ]
        assert "memosim.cli" in imported
        assert not [m for m in imported if m.startswith(("matplotlib", "tqdm"))], argv


# ------------------------------------------------------------ signals


@pytest.mark.udp
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_whole_command_and_writes_nothing(
    tmp_path: Path, sig: int, status: int
) -> None:
    scen = tiny(tmp_path, duration=30.0)
    out = tmp_path / "results" / "x"
    proc = subprocess.Popen(
        [MEMOSIM, "run", str(scen), "--backend", "udp", "--out", str(out)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    time.sleep(2.0)  # inside the first Doer's run
    started = time.monotonic()
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=20)
    assert time.monotonic() - started < 10  # not the next Doer in full
    assert proc.returncode == status
    assert stdout == ""
    assert stderr == (
        f"memosim run: interrupted by {signal.Signals(sig).name}; no results "
        "written for the run cut short\n"
    )
    assert not out.exists() and not (tmp_path / "results").exists()


@pytest.mark.udp
def test_api_udp_run_cut_short_raises_keyboard_interrupt(tmp_path: Path) -> None:
    """The Doist ends quietly on KeyboardInterrupt; run_udp must not pass the rest
    of the run off as complete."""
    from memosim.doing import Doist
    from memosim.testbed.runner import run_scenario
    from memosim.testbed.scenario import load_scenario

    s = load_scenario(tiny(tmp_path, duration=5.0))
    real_recur = Doist.recur

    def recur(self, deeds=None):
        if self.tyme >= 0.5:
            raise KeyboardInterrupt
        return real_recur(self, deeds)

    Doist.recur = recur  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt, match="interrupted at tyme"):
            run_scenario(s, backend="udp", doers=("PeerMemoerDoer",))
    finally:
        Doist.recur = real_recur  # type: ignore[method-assign]


# ------------------------------------------------------- hostile scenarios


HOSTILE = [
    (
        "count = 20",
        "count = 1000000000",
        "workload[0].count: expected an integer in [0, 100000] (memos per pair; at most 100,000 "
        "per run), found 1000000000",
    ),
    (
        "seed = 3",
        "seed = 3\ntock_s = 1e-9",
        "scenario.tock_s: expected a number in [0.0001, duration_s = 3], found 1e-09",
    ),
    (
        "duration_s = 3.0",
        "duration_s = 200.0\ntock_s = 0.0001",
        "scenario.tock_s: expected a tock giving at most 1,000,000 passes per run (duration_s / "
        "tock_s; here at least 0.0002), found 0.0001",
    ),
    (
        'name = "tiny"',
        'name = ".."',
        "scenario.name: expected a name of letters, digits, _ . - starting with a letter or digit "
        '(at most 64; it names the results directory), found ".."',
    ),
    (
        'name = "tiny"',
        'name = "../../etc"',
        "scenario.name: expected a name of letters, digits, _ . - starting with a letter or digit "
        '(at most 64; it names the results directory), found "../../etc"',
    ),
    (
        "loss = { rate = 0.1 }",
        "loss = { rate = 10 }",
        "links[0].loss.rate: expected a number in [0, 1] (a fraction: 0.1 for 10%), found 10",
    ),
    (
        "count = 20",
        "count = 20\nextra = " + "[" * 20 + "]" * 20,
        "workload[0].extra[0][0][0][0][0][0][0]: expected tables and arrays nested at most 10 "
        "deep, found 11 levels",
    ),
    (
        "count = 20",
        "count = 20\nextra = " + "[" * 5000 + "]" * 5000,
        "expected tables and arrays nested at most 10 deep, found nesting too deep to read",
    ),
    ("count = 20\n", "count = 20\n", None),  # control: valid
]


@pytest.mark.parametrize("old, new, message", HOSTILE)
def test_hostile_scenarios_are_refused_with_one_line(
    tmp_path: Path, old: str, new: str, message: str | None
) -> None:
    path = tmp_path / "h.toml"
    text = TINY.format(duration=3.0)
    assert old in text
    path.write_text(text.replace(old, new, 1))
    started = time.monotonic()
    done = memosim("validate", str(path), cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 30
    if message is None:
        assert done.returncode == 0 and done.stdout.startswith(f"{path}: ok (tiny: 2 peers")
        return
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"{path}: {message}\n"
    run = memosim("run", str(path), cwd=tmp_path, timeout=60)
    assert run.returncode == 2 and run.stderr == done.stderr
    assert list(tmp_path.iterdir()) == [path]  # nothing written anywhere


def test_thousands_of_peers_and_all_pairs_links_are_refused_fast(tmp_path: Path) -> None:
    peers = "".join(f'[[peers]]\nname = "p{i}"\nport = {i + 1}\n' for i in range(3000))
    path = tmp_path / "crowd.toml"
    path.write_text(
        "[scenario]\nduration_s = 5.0\n"
        + peers
        + '[[links]]\nsrc = "*"\ndst = "*"\nloss = {rate = 0.1}\n'
    )
    started = time.monotonic()
    done = memosim("run", str(path), cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 20
    assert done.returncode == 2
    assert done.stderr == f"{path}: peers: expected at most 256 [[peers]] entries, found 3,000\n"
    few = "".join(f'[[peers]]\nname = "p{i}"\nport = {i + 1}\n' for i in range(200))
    links = "".join(
        f'[[links]]\nsrc = "*"\ndst = "*"\nboth = true\nloss = {{rate = 0.{i}}}\n'
        for i in range(1, 3)
    )
    path.write_text("[scenario]\nduration_s = 5.0\n" + few + links)
    done = memosim("validate", str(path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"{path}: links[0]: expected links covering at most 65,536 directed "
        "pairs together, found 80,000 pairs so far\n"
    )


def test_a_file_named_oddly_gets_a_safe_default_name(tmp_path: Path) -> None:
    path = tiny(tmp_path, name="my run (2).toml")
    path.write_text(path.read_text().replace('name = "tiny"\n', ""))
    done = memosim("run", str(path), "--no-plots", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.splitlines()[-1]
        == "wrote results/my-run-2/sim-seed3/: summary.json, memos.csv, timeline.jsonl"
    )


# ------------------------------------------------------- conveniences


def test_list_prints_each_scenarios_name_and_description(tmp_path: Path) -> None:
    done = memosim("list", cwd=REPO)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["name", "file", "description"]
    files = sorted((REPO / "scenarios").glob("*.toml"))
    assert len(lines) == 2 + len(files)
    assert lines[2 + [f.name for f in files].index("default.toml")].split(None, 2) == [
        "default",
        "scenarios/default.toml",
        "Two peers, 5% loss each way, 20 ms +- 5 ms delay, 300 memos of ~12 KB",
    ]
    (tmp_path / "bad.toml").write_text("[scenario\n")
    tiny(tmp_path)
    mixed = memosim("list", str(tmp_path), cwd=tmp_path)
    assert mixed.returncode == 2
    assert mixed.stderr.startswith(f"{tmp_path}/bad.toml: line 1, column 10: expected valid TOML")
    assert "tiny" in mixed.stdout
    missing = memosim("list", "nowhere", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr == (
        "memosim list: error: argument DIR: expected a directory of "
        "scenario files, found no such directory 'nowhere'\n"
    )


def test_validate_checks_without_running(tmp_path: Path) -> None:
    good = tiny(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.format(duration=3.0).replace("rate = 0.1", "rate = 1.5"))
    done = memosim("validate", str(good), str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == (
        f"{good}: ok (tiny: 2 peers, 20 memos per run, 3 s, Doers "
        "PeerMemoerDoer, SafePeerMemoerDoer)\n"
    )
    assert done.stderr == f"{bad}: links[0].loss.rate: expected a number in [0, 1], found 1.5\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "tiny.toml"]


def test_json_prints_the_summary_and_doer_runs_one(tmp_path: Path) -> None:
    scen = tiny(tmp_path)
    done = memosim(
        "run", str(scen), "--json", "--doer", "SafePeerMemoerDoer", "--out", "j", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc == json.loads((tmp_path / "j" / "summary.json").read_text())
    assert [r["doer"] for r in doc["runs"]] == ["SafePeerMemoerDoer"]
    assert (
        done.stderr
        == "wrote j/: summary.json, memos.csv, latency.png, delivery.png, timeline.jsonl, timelines/ (3 PNGs)\n"
    )
    bad = memosim("run", str(scen), "--doer", "Nobody", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr == (
        'memosim run: --doer: expected "PeerMemoerDoer" or "SafePeerMemoerDoer" or a Doer'
        ' class by import path "module:Class", found "Nobody"\n'
    )


def test_python_dash_m_memosim_is_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "memosim", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout.startswith("memosim ")
    done = subprocess.run(
        [sys.executable, "-m", "memosim", "validate", str(tiny(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and ": ok (tiny:" in done.stdout


# ------------------------------------------------------- clearer outputs


def test_sweep_table_never_shows_a_negative_interval() -> None:
    from types import SimpleNamespace

    from memosim.testbed.sweep_table import sweep_table

    row = {
        "links.0.loss.rate": 0.05,
        "doer": "SafePeerMemoerDoer",
        "n": 4,
        "delivery_ratio_mean": 0.99,
        "delivery_ratio_ci95": 0.02,
        "latency_p99_s_mean": 0.35,
        "latency_p99_s_ci95": 0.5594,
        "retransmissions_per_memo_mean": 0.5,
        "retransmissions_per_memo_ci95": 0.1,
        "overhead_ratio_mean": None,
        "overhead_ratio_ci95": None,
    }
    text = sweep_table(SimpleNamespace(paths=["links.0.loss.rate"], rows=[row]))
    cells = text.splitlines()[-1]
    assert "350.0 [0.0, 909.4]" in cells  # clipped at 0, not 350.0 +- 559.4
    assert "0.9900 [0.9700, 1.0000]" in cells  # clipped at 1
    assert "0.500 +- 0.100" in cells  # inside the range: as before


def test_plots_speak_plainly(tmp_path: Path) -> None:
    from memosim.testbed import plots
    from memosim.testbed.runner import run_scenario
    from memosim.testbed.scenario import load_scenario

    r = run_scenario(load_scenario(REPO / "scenarios" / "default.toml"))
    ax = plots.delivery_over_time(r).axes[0]
    assert ax.get_xlabel() == "time (s)"
    last = max(max(float(row["sent_s"]) for row in run.rows) for run in r.runs)
    assert last < ax.get_xlim()[1] < 0.75 * 20.0  # ends after the traffic, not at duration_s
    lines = plots.latency_cdf(r).axes[0].get_lines()
    plain = [ln for ln in lines if ln.get_label().startswith("PeerMemoerDoer")]
    safe = [ln for ln in lines if ln.get_label().startswith("SafePeerMemoerDoer")]
    assert plain[0].get_zorder() > safe[0].get_zorder() and plain[0].get_linestyle() == "--"
    rows = [
        {
            "links.0.delay.base_s": 0.01,
            "doer": "PeerMemoerDoer",
            "n": 2,
            "latency_p99_s_mean": 0.02,
            "latency_p99_s_ci95": 0.05,
        }
    ]
    sweep_ax = plots.sweep_metric(
        rows, ["links.0.delay.base_s"], "latency_p99_s", scale=1000.0
    ).axes[0]
    assert sweep_ax.get_xlabel() == "links[0] delay base (s)"
    assert plots.param_label("links.0.loss.rate") == "links[0] loss rate (fraction)"
    bars = [c for c in sweep_ax.collections if c.get_segments()]
    ((low, _high),) = [seg[:, 1] for seg in bars[0].get_segments()]
    assert low == 0.0  # the bar stops at 0 ms, not at -30 ms
