"""Review r2: a Doer of the user's that breaks its contract is one line, status 2.

Two ways it was not: a Doer whose ``exit`` raises got its one line, then
Python's "Exception ignored in: <generator ...>" traceback on stderr (the
Doist stopped closing dogs at the first that raised, and the garbage
collector closed the rest); and a module or Doer calling ``sys.exit`` ended
the command with that status and no word at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from memosim.cli import main
from memosim.doing import Doer, Doist

SCENARIO = textwrap.dedent("""\
    [scenario]
    name = "contract"
    duration_s = 1.0

    [[peers]]
    name = "alice"
    port = 47981

    [[peers]]
    name = "bob"
    port = 47982

    [[workload]]
    src = "alice"
    dst = "bob"
    count = 3
    interval_s = 0.1
    memo_size = { dist = "fixed", bytes = 100 }
    """)

DOERS = textwrap.dedent("""\
    import sys
    from memosim import SafePeerMemoerDoer

    class ExitRaises(SafePeerMemoerDoer):
        def exit(self):
            super().exit()
            raise ValueError("exit boom")

    class BuildExits(SafePeerMemoerDoer):
        def __init__(self, peer, **kwa):
            sys.exit(4)

    class PassExits(SafePeerMemoerDoer):
        def recur(self, tyme=None):
            sys.exit(5)
    """)


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "r2doers.py").write_text(DOERS)
    (tmp_path / "r2exits.py").write_text("import sys\nsys.exit(3)\n")
    (tmp_path / "s.toml").write_text(SCENARIO)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_a_doer_whose_exit_raises_is_one_line_and_no_traceback(where: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(where)}
    proc = subprocess.run(
        [sys.executable, "-m", "memosim", "run", str(where / "s.toml"), "--no-plots", "-q"]
        + ["--doer", "r2doers:ExitRaises", "--out", str(where / "out")],
        capture_output=True,
        text=True,
        env=env,
        cwd=where,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert 'Doer "r2doers:ExitRaises"' in lines[0] and "ValueError: exit boom" in lines[0]


@pytest.mark.parametrize(
    ("doer", "found"),
    [
        ("r2exits:Any", "cannot import r2exits: SystemExit: 3"),
        ("r2doers:BuildExits", "one raising SystemExit: 4"),
        ("r2doers:PassExits", "one raising SystemExit: 5"),
    ],
)
def test_sys_exit_in_the_users_doer_is_one_line_status_2(
    where: Path, doer: str, found: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", str(where / "s.toml"), "--no-plots", "-q", "--doer", doer]
    status = main([*argv, "--out", str(where / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1 and found in err, err


class _Exits(Doer):
    def __init__(self, name: str, closed: list[str], boom: bool) -> None:
        super().__init__()
        self.name, self.closed, self.boom = name, closed, boom

    def exit(self) -> None:
        self.closed.append(self.name)
        if self.boom:
            raise ValueError(self.name)


def test_doist_exit_closes_every_dog_and_reraises_the_first() -> None:
    closed: list[str] = []
    doers = [_Exits("a", closed, False), _Exits("b", closed, True), _Exits("c", closed, True)]
    doist = Doist(tock=0.1, doers=doers)
    doist.enter()
    assert len(doist.deeds) == 3
    with pytest.raises(ValueError, match="^c$"):
        doist.exit()
    assert closed == ["c", "b", "a"]
    assert not doist.deeds
