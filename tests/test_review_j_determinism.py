"""Review j (determinism audit): what users diff repeats byte for byte, and
`memosim check` catches the two kinds of nondeterminism a fresh process
alone can hide.

- A sim run's results directory (summary.json, memos.csv, timeline.jsonl,
  the PNGs, --pcap and --trace files) is the same bytes when the run is made
  again, into another directory: no wall time, no path, no order drift.
- `memosim check` gives each of its two processes a hash seed of its own,
  also when PYTHONHASHSEED is set for the command (tox and many CI setups
  set it): a Doer that iterates a hash-ordered set is caught.
- The second process runs the Doers in the reverse order, so a run that
  depends on what ran before it in its process is caught.

The Doers that misbehave are a test hook outside the package (memosim has
no such behaviour).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from memosim.cli import main

REPO = Path(__file__).resolve().parents[1]
MEMOSIM = str(Path(sys.executable).with_name("memosim"))
ENV = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}

SMALL = """
[scenario]
name = "small"
duration_s = 6.0
seed = 5

[[peers]]
name = "alice"
port = 47301

[[peers]]
name = "bob"
port = 47302

[[links]]
src = "alice"
dst = "bob"
both = true
loss = { rate = 0.08 }
delay = { base_s = 0.01, jitter_s = 0.004 }
duplicate = { rate = 0.05 }

[[workload]]
src = "alice"
dst = "bob"
count = 30
interval_s = 0.05
memo_size = { dist = "uniform", min = 200, max = 4000 }
"""


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_rerun_writes_the_same_bytes_into_another_directory(tmp_path: Path, capsys) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL)
    outs = [tmp_path / "first", tmp_path / "deeper" / "second"]
    for out in outs:
        argv = ["run", str(scenario), "--out", str(out), "--pcap", "--trace", "jsonl", "-q"]
        assert main(argv) == 0
    capsys.readouterr()
    first, second = (_files(out) for out in outs)
    assert {"summary.json", "memos.csv", "timeline.jsonl", "latency.png"} <= set(first)
    assert {"PeerMemoerDoer.pcap", "SafePeerMemoerDoer.trace.jsonl"} <= set(first)
    assert any(name.startswith("timelines/") for name in first)
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == [], f"files that differ between two runs of one scenario: {differ}"


def test_json_output_repeats_too(tmp_path: Path, capsys) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL)
    printed = []
    for k in range(2):
        argv = ["run", str(scenario), "--out", str(tmp_path / f"r{k}"), "--json", "--no-plots"]
        assert main(argv) == 0
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1]
    assert '"wall_s"' not in printed[0]


HOOKS = '''
"""Doers that are not deterministic (a test hook, not memosim's)."""
from memosim.memoing import MemoerDoer

RAN = []  # module state: the Doers of this module that ran in this process


class HashDoer(MemoerDoer):
    """Skips about a third of its passes, which ones chosen by str hashing:
    the same in every process with one hash seed, not across hash seeds."""

    def __init__(self, peer, **kwa):
        super().__init__(peer=peer, **kwa)
        self.passes = 0

    def recur(self, tyme):
        self.passes += 1
        if hash(f"{self.peer.name}:{self.passes}") % 3:
            self.peer.service()
        return False


class First(MemoerDoer):
    """An ordinary Doer that leaves a mark in the module when it runs."""

    def __init__(self, peer, **kwa):
        super().__init__(peer=peer, **kwa)
        RAN.append("First")


class Second(MemoerDoer):
    """Holds alice back for a while when First ran before it in the process."""

    def __init__(self, peer, **kwa):
        super().__init__(peer=peer, **kwa)
        self.passes = 0
        self.late = "First" in RAN

    def recur(self, tyme):
        self.passes += 1
        if not (self.late and self.peer.name == "alice" and 5 <= self.passes < 200):
            self.peer.service()
        return False
'''


def _hooked(tmp_path: Path, doers: str) -> dict[str, str]:
    pkg = tmp_path / "lib" / "mydoers"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "hooks.py").write_text(HOOKS)
    text = (REPO / "scenarios" / "loss-5.toml").read_text()
    (tmp_path / "s.toml").write_text(text.replace("seed = 1\n", f"seed = 1\ndoers = {doers}\n"))
    return {**ENV, "PYTHONPATH": str(tmp_path / "lib")}


def _check(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MEMOSIM, "check", "s.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_check_catches_hash_seed_dependence_when_pythonhashseed_is_set(tmp_path: Path) -> None:
    env = {**_hooked(tmp_path, '["PeerMemoerDoer", "mydoers.hooks:HashDoer"]')}
    env["PYTHONHASHSEED"] = "0"  # as tox sets it: both processes would inherit it
    done = _check(tmp_path, env)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].split()[:2] == ["PeerMemoerDoer", "identical"]
    assert lines[2].split()[:2] == ["mydoers.hooks:HashDoer", "DIFFERENT"]
    # the last line says which hash seed each process had, to make either run again
    words = lines[-1].split()
    assert lines[-1].startswith("runs: 1 with PYTHONHASHSEED="), lines
    seeds = [w.split("=")[1] for w in words if w.startswith("PYTHONHASHSEED=")]
    assert len(seeds) == 2 and seeds[0] != seeds[1] and all(s.isdigit() for s in seeds)


def test_check_catches_a_run_that_depends_on_an_earlier_run_in_its_process(
    tmp_path: Path,
) -> None:
    env = _hooked(tmp_path, '["mydoers.hooks:First", "mydoers.hooks:Second"]')
    done = _check(tmp_path, env)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].split()[:2] == ["mydoers.hooks:First", "identical"]
    assert lines[2].split()[:2] == ["mydoers.hooks:Second", "DIFFERENT"]
    assert "2 with PYTHONHASHSEED=" in lines[-1] and lines[-1].endswith("in reverse order")


def test_an_identical_check_prints_no_hash_seeds_and_leaves_the_environment(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    from memosim.testbed import check

    monkeypatch.setenv("PYTHONHASHSEED", "7")
    assert check.check(str(REPO / "scenarios" / "loss-1.toml")) == 0
    out = capsys.readouterr().out
    assert "PYTHONHASHSEED" not in out and "DIFFERENT" not in out
    assert os.environ["PYTHONHASHSEED"] == "7"  # set for the children's start only
    seeds = check.hash_seeds()
    assert len(set(seeds)) == check.RUNS and all(1 <= s < 2**32 for s in seeds)
