"""`memosim check FILE`: two runs of a scenario, each in a process of its own, agree.

Issue 14's done-when: memosim check passes on every shipped scenario. Each
check is two sim runs side by side (about 1 s a scenario, source-flood about
6 s), all through the installed command in a subprocess. A run that is not
deterministic is made with a Doer from outside the package, whose module
behaves differently in the first process that imports it: the package itself
has no such hook.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MEMOSIM = str(Path(sys.executable).with_name("memosim"))
ENV = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))


def memosim(
    *args: str, cwd: Path = REPO, env: dict[str, str] = ENV
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MEMOSIM, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


def test_every_shipped_scenario_is_shipped() -> None:
    assert len(SCENARIOS) >= 19


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_check_passes_on_every_shipped_scenario(path: Path) -> None:
    done = memosim("check", f"scenarios/{path.name}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    head, *lines = done.stdout.splitlines()
    assert head.startswith(f"scenario {path.stem}  seed ")
    assert lines and all(line.split()[1] == "identical" for line in lines), lines


def test_check_takes_a_seed_and_shows_the_same_digests_as_another_check() -> None:
    once = memosim("check", "scenarios/loss-5.toml", "--seed", "7")
    again = memosim("check", "scenarios/loss-5.toml", "--seed", "7")
    other = memosim("check", "scenarios/loss-5.toml")
    assert once.returncode == again.returncode == other.returncode == 0, once.stderr
    assert once.stdout.splitlines()[0].startswith("scenario loss-5  seed 7  backend sim")
    assert once.stdout == again.stdout
    assert once.stdout.splitlines()[1] != other.stdout.splitlines()[1]  # another seed


JITTER = '''
"""A Doer that is not deterministic across processes (a test hook, not memosim's)."""
import os

from memosim.memoing import MemoerDoer


def _turn():
    """How many processes imported this module before this one (0 without
    MEMOSIM_TEST_JITTER): each takes the first free file <path>.<n>."""
    path = os.environ.get("MEMOSIM_TEST_JITTER")
    n = 0
    while path:
        try:
            os.close(os.open(f"{path}.{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            n += 1
            continue
        break
    return n


# memosim check's own process imports it (loading the scenario) and then its two
# runs' processes: the first of those holds alice back, the second does not
ODD = _turn() % 2 == 1


class JitteryDoer(MemoerDoer):
    """Services its peer every pass, except alice's passes 5 to 199 in an odd turn."""

    def __init__(self, peer, **kwa):
        super().__init__(peer=peer, **kwa)
        self.passes = 0

    def recur(self, tyme):
        self.passes += 1
        if not (ODD and self.peer.name == "alice" and 5 <= self.passes < 200):
            self.peer.service()
        return False
'''


def jittery(tmp_path: Path, doers: str) -> dict[str, str]:
    pkg = tmp_path / "lib" / "mydoers"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "jitter.py").write_text(JITTER)
    text = (REPO / "scenarios" / "loss-5.toml").read_text()
    (tmp_path / "s.toml").write_text(text.replace("seed = 1\n", f"seed = 1\ndoers = {doers}\n"))
    return {**ENV, "PYTHONPATH": str(tmp_path / "lib"), "MEMOSIM_TEST_JITTER": str(tmp_path / "f")}


def test_a_run_that_differs_between_processes_is_caught_at_its_first_event(
    tmp_path: Path,
) -> None:
    env = jittery(tmp_path, '["PeerMemoerDoer", "mydoers.jitter:JitteryDoer"]')
    done = memosim("check", "s.toml", cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr == "not deterministic: the runs differ\n"
    lines = done.stdout.splitlines()
    assert lines[0] == "scenario s  seed 1  backend sim: 2 runs, each in a process of its own"
    assert lines[1].split()[:2] == ["PeerMemoerDoer", "identical"]  # the built-in is not
    name, verdict, _trace, one, _ne, two = lines[2].split()
    assert (name, verdict) == ("mydoers.jitter:JitteryDoer", "DIFFERENT") and one != two
    assert lines[3].startswith("  first differing event: #")
    runs = [line.split() for line in lines[4:6]]
    assert [r[:2] for r in runs] == [["run", "1:"], ["run", "2:"]]
    # time, kind, src -> dst of each run's event; alice held back her grams in one run
    for r in runs:
        assert r[2].startswith("t=") and r[3] == "s" and r[6] == "->", r
        assert r[4] in ("send", "drop", "duplicate", "deliver", "corrupt", "reorder")
    assert runs[0][2:8] != runs[1][2:8]
    assert lines[6].startswith("  summary keys that differ: ")
    keys = lines[6].split(": ", 1)[1].split(", ")
    assert "wall_s" not in keys and keys
    assert all(line.startswith("    ") for line in lines[7:-1])
    assert lines[-1].startswith("runs: 1 with PYTHONHASHSEED=")


def test_without_the_hook_the_same_outside_doer_is_identical(tmp_path: Path) -> None:
    env = jittery(tmp_path, '["mydoers.jitter:JitteryDoer"]')
    del env["MEMOSIM_TEST_JITTER"]
    done = memosim("check", "s.toml", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[1].split()[:2] == ["mydoers.jitter:JitteryDoer", "identical"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["nope.toml"], "nope.toml: expected a readable scenario file, found no such file"),
        (["bad.toml"], "bad.toml: links[0].loss.rate: expected a number in [0, 1], found 1.5"),
        (
            ["scenarios/loss-5.toml", "--seed", "x"],
            "memosim check: error: argument --seed: expected an integer, found 'x' "
            "(see memosim check --help)",
        ),
        (["s.toml"], "s.toml: "),  # a Doer whose constructor fails, met in the child
    ],
    ids=["missing", "invalid", "seed", "doer"],
)
def test_bad_input_is_one_line_and_status_2_as_for_run(
    tmp_path: Path, args: list[str], line: str
) -> None:
    text = (REPO / "scenarios" / "loss-5.toml").read_text()
    (tmp_path / "bad.toml").write_text(text.replace("rate = 0.05", "rate = 1.5"))
    (tmp_path / "scenarios").symlink_to(REPO / "scenarios")
    env = jittery(tmp_path, '["mydoers.jitter:Fussy"]')
    with (tmp_path / "lib" / "mydoers" / "jitter.py").open("a") as f:
        f.write("\n\nclass Fussy(MemoerDoer):\n    def __init__(self, **kwa):\n")
        f.write("        raise RuntimeError('no peers today')\n")
    for command in ("check", "run"):
        done = memosim(command, *args, cwd=tmp_path, env=env)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert done.stderr.replace("memosim run", "memosim check").startswith(line), done.stderr
    assert not (tmp_path / "results").exists()


def test_check_never_imports_matplotlib() -> None:
    """Nor do its two processes: spawn passes -X importtime on to them."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "memosim", "check", "scenarios/loss-1.toml"],
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
    assert imported.count("memosim.testbed.check") == 3  # the command's, each run's process
    assert not [m for m in imported if m.startswith(("matplotlib", "tqdm"))]
