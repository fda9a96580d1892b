"""A scenario's doers may name a Doer class by import path: a module outside the
package runs through `memosim run`, and a name that breaks the contract is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_retry_scenarios import doc

MEMOSIM = str(Path(sys.executable).with_name("memosim"))

PACED = '''
"""Doers written outside memosim, as a user would."""
from memosim.doing import Doer
from memosim.memoing import MemoerDoer


class PacedDoer(MemoerDoer):
    """Services its peer every other pass only, wound so Sure memos are retried."""

    def __init__(self, peer, **kwa):
        super().__init__(peer=peer, **kwa)
        self.passes = 0

    def recur(self, tyme):
        self.passes += 1
        if self.passes % 2:
            self.peer.service()
        return False


class Outer:
    class Inner(PacedDoer):
        pass


class NotADoer:
    def __init__(self, peer):
        self.peer = peer


class NoPeer(Doer):
    def __init__(self, other):
        super().__init__()


class Fussy(Doer):
    def __init__(self, **kwa):
        raise RuntimeError("no peers today")


class Breaks(PacedDoer):
    """Raises in a pass once tyme passes 0.5 s."""

    def recur(self, tyme):
        if tyme > 0.5:
            raise RuntimeError("lost my peer")
        return super().recur(tyme)
'''


def setup(tmp_path: Path, doers: str) -> dict[str, str]:
    pkg = tmp_path / "lib" / "mydoers"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "paced.py").write_text(PACED)
    (tmp_path / "s.toml").write_text(doc(doers=doers))
    return {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "PYTHONPATH": str(tmp_path / "lib")}


def memosim(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MEMOSIM, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env
    )


def test_a_doer_from_outside_the_package_runs_and_is_shown_by_its_name(tmp_path: Path) -> None:
    env = setup(tmp_path, '["PeerMemoerDoer", "mydoers.paced:PacedDoer"]')
    done = memosim(tmp_path, env, "run", "s.toml", "--out", "r", "--no-plots")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = lines[[line.startswith("---") for line in lines].index(True) - 1].split()
    assert header == ["PeerMemoerDoer", "mydoers.paced:PacedDoer"]
    runs = {r["doer"]: r for r in json.loads((tmp_path / "r" / "summary.json").read_text())["runs"]}
    paced, plain = runs["mydoers.paced:PacedDoer"], runs["PeerMemoerDoer"]
    # wound, its peer retries: every memo arrives, where the unwound Doer loses some
    assert paced["memos_delivered"] == 60 and paced["grams_retransmitted"] > 0
    assert plain["memos_delivered"] < 60 and plain["lost_silently"] > 0
    # --doer takes the same name; a nested class by its dotted name
    one = memosim(tmp_path, env, "run", "s.toml", "--doer", "mydoers.paced:Outer.Inner", "--json")
    assert one.returncode == 0, one.stderr
    assert [r["doer"] for r in json.loads(one.stdout)["runs"]] == ["mydoers.paced:Outer.Inner"]


def test_validate_names_the_doers_of_a_good_file(tmp_path: Path) -> None:
    env = setup(tmp_path, '["mydoers.paced:PacedDoer"]')
    done = memosim(tmp_path, env, "validate", "s.toml")
    assert done.returncode == 0, done.stderr
    assert "Doers mydoers.paced:PacedDoer)" in done.stdout


EXPECTED = (
    's.toml: scenario.doers[0]: expected "PeerMemoerDoer" or "SafePeerMemoerDoer"'
    ' or a Doer class by import path "module:Class", found '
)


@pytest.mark.parametrize(
    ("name", "found"),
    [
        (
            "mydoers.nowhere:X",
            '"mydoers.nowhere:X" (cannot import mydoers.nowhere:'
            " ModuleNotFoundError: No module named 'mydoers.nowhere')",
        ),
        ("mydoers.paced:Missing", '"mydoers.paced:Missing" (mydoers.paced has no Missing)'),
        (
            "mydoers.paced:NotADoer",
            '"mydoers.paced:NotADoer" (not a subclass of memosim.doing.Doer)',
        ),
        ("mydoers.paced:NoPeer", '"mydoers.paced:NoPeer" (its constructor does not take peer=)'),
        ("mydoers/paced.py", '"mydoers/paced.py"'),
        ("SafePeerMemoDoer", '"SafePeerMemoDoer" (did you mean "SafePeerMemoerDoer"?)'),
    ],
)
def test_a_doer_that_breaks_the_contract_is_one_line_at_validate(
    tmp_path: Path, name: str, found: str
) -> None:
    env = setup(tmp_path, f'["{name}"]')
    done = memosim(tmp_path, env, "validate", "s.toml")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == EXPECTED + found + "\n"


def test_a_constructor_that_fails_is_one_line_at_run(tmp_path: Path) -> None:
    env = setup(tmp_path, '["mydoers.paced:Fussy"]')
    done = memosim(tmp_path, env, "run", "s.toml", "--out", "r")
    assert done.returncode == 2 and not (tmp_path / "r").exists()
    assert done.stderr == (
        's.toml: Doer "mydoers.paced:Fussy": expected a Doer class built with cls(peer=peer),'
        " found one raising RuntimeError: no peers today\n"
    )


def test_a_doer_that_raises_mid_run_is_one_line_naming_it(tmp_path: Path) -> None:
    """A pass that raises breaks the contract: one line naming the Doer, the
    exception and the tyme, exit 2, no traceback (memosim's own Doers' bugs
    still show whole)."""
    env = setup(tmp_path, '["mydoers.paced:Breaks"]')
    done = memosim(tmp_path, env, "run", "s.toml", "--out", "r")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        's.toml: Doer "mydoers.paced:Breaks": expected a Doer whose passes return without'
        " raising, found one raising RuntimeError: lost my peer at tyme 0.5"
    )
    assert done.stderr.count("\n") == 1


def test_a_winding_doer_of_ones_own_is_held_to_the_promise() -> None:
    """BREACH counts silent loss for a Doer that winds its peer, as for
    SafePeerMemoerDoer (the run records it as promises_acked); duplicates and
    corrupt deliveries for every Doer."""
    from memosim.testbed.doers import promises_acked
    from memosim.testbed.report import breaches

    assert promises_acked("SafePeerMemoerDoer") and not promises_acked("PeerMemoerDoer")
    assert promises_acked("memosim.memoing:MemoerDoer")  # winds its peer
    assert not promises_acked("memosim.peermemoing:PeerMemoerDoer")
    lost = {"lost_silently": 2, "duplicates_delivered": 0, "corrupt_delivered": 0}
    own = {"doer": "memosim.memoing:MemoerDoer", **lost}
    assert breaches({**own, "promises_acked": True}) == ["2 lost silently"]
    assert breaches({"doer": "PeerMemoerDoer", "promises_acked": False, **lost}) == []
    dup = {**lost, "duplicates_delivered": 1}
    assert breaches({"doer": "PeerMemoerDoer", **dup}) == ["1 duplicates delivered"]


def test_a_run_records_whether_its_doer_promises(tmp_path: Path) -> None:
    env = setup(tmp_path, '["PeerMemoerDoer", "mydoers.paced:PacedDoer"]')
    done = memosim(tmp_path, env, "run", "s.toml", "--out", "r", "--no-plots")
    assert done.returncode == 0, done.stderr
    runs = json.loads((tmp_path / "r" / "summary.json").read_text())["runs"]
    assert {r["doer"]: r["promises_acked"] for r in runs} == {
        "PeerMemoerDoer": False,
        "mydoers.paced:PacedDoer": True,  # a MemoerDoer: winds its peer
    }
