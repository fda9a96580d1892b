"""memosim's pytest plugin as a user meets it: the example project of
docs/regression.md run with pytest in a subprocess, the options' errors, the
cost of loading the plugin, and the simulated-network fixture."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from memosim.testing import simnet
from memosim.testing.simnet import PeerImpl, SimNet, register_impl

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "regression-project"
GUIDE = REPO / "docs" / "regression.md"


def doc_block(starting: str) -> str:
    """The fenced block of docs/regression.md whose first line starts so."""
    for block in GUIDE.read_text().split("```")[1::2]:
        body = block.split("\n", 1)[1] if not block.startswith("\n") else block[1:]
        if body.startswith(starting):
            return body
    raise AssertionError(f"docs/regression.md has no block starting {starting!r}")


def test_guide_shows_the_example_project_as_shipped():
    for name, first in [
        ("pyproject.toml", "# A project that tests"),
        ("scenarios/lossy-link.toml", "# The link our service"),
        ("tests/test_link.py", '"""Tests in code'),
        ("scenarios/golden/lossy-link.json", '{\n  "file": "scenarios/lossy-link.toml"'),
    ]:
        assert doc_block(first) == (EXAMPLE / name).read_text(), name


def pytest_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # as a user runs it at a terminal: pytest repeats each failure message
    # untruncated in its short summary when it sees CI or BUILD_NUMBER set
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_") and k not in ("CI", "BUILD_NUMBER")
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy_example(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return project


def test_example_project_passes_fails_readably_then_passes_after_regen(tmp_path: Path):
    project = copy_example(tmp_path)
    golden = project / "scenarios" / "golden" / "lossy-link.json"
    shipped = golden.read_text()

    first = pytest_in(project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 passed" in first.stdout  # two tests in code, one scenario

    scenario = project / "scenarios" / "lossy-link.toml"
    text = scenario.read_text()
    assert "loss = { rate = 0.10 }" in text
    scenario.write_text(text.replace("loss = { rate = 0.10 }", "loss = { rate = 0.20 }"))

    moved = pytest_in(project)
    out = moved.stdout
    assert moved.returncode == 1, out + moved.stderr
    assert "Traceback" not in out and "def runtest" not in out
    assert "sim results of scenario lossy-link moved from its golden file:" in out
    assert "lossy-link: the scenario itself changed since the golden was made" in out
    # scenario, seed, Doer, metric, old -> new
    assert re.search(r"lossy-link seed 7 PeerMemoerDoer: memos_delivered \d+ -> \d+", out), out
    assert re.search(r"lossy-link seed 8 SafePeerMemoerDoer: grams_sent \d+ -> \d+", out), out
    commands = re.findall(r"^    (pytest .*--memosim-regen)$", out, re.M)
    assert commands == [
        "pytest scenarios/lossy-link.toml --memosim-scenarios scenarios --memosim-regen"
    ]
    assert golden.read_text() == shipped  # a failing run writes nothing
    shown = doc_block("sim results of scenario lossy-link moved")
    assert shown in out, "docs/regression.md, 'A moved result', is not what pytest prints"

    regen = pytest_in(project, *shlex.split(commands[0])[1:])  # the command as printed
    assert regen.returncode == 0, regen.stdout + regen.stderr
    assert "wrote scenarios/golden/lossy-link.json" in regen.stdout
    assert golden.read_text() != shipped

    again = pytest_in(project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 passed" in again.stdout


def test_command_line_dir_collects_and_a_missing_golden_says_how_to_make_it(tmp_path: Path):
    (tmp_path / "nets").mkdir()
    shutil.copy(EXAMPLE / "scenarios" / "lossy-link.toml", tmp_path / "nets" / "lossy-link.toml")
    (tmp_path / "test_nothing.py").write_text("def test_one():\n    pass\n")

    plain = pytest_in(tmp_path)  # no option: the plugin collects nothing, writes nothing
    assert plain.returncode == 0 and "1 passed" in plain.stdout, plain.stdout
    assert not (tmp_path / "nets" / "golden").exists()

    missing = pytest_in(tmp_path, "--memosim-scenarios", "nets")
    assert missing.returncode == 1, missing.stdout
    assert "lossy-link: no golden file nets/golden/lossy-link.json yet" in missing.stdout
    assert (
        "    pytest nets/lossy-link.toml --memosim-scenarios nets --memosim-regen" in missing.stdout
    )

    wrote = pytest_in(tmp_path, "--memosim-scenarios", "nets", "--memosim-regen")
    assert wrote.returncode == 0 and "2 passed" in wrote.stdout, wrote.stdout
    assert (tmp_path / "nets" / "golden" / "lossy-link.json").is_file()
    assert pytest_in(tmp_path, "--memosim-scenarios", "nets").returncode == 0

    # a renamed scenario file is another scenario: its old golden is reported
    (tmp_path / "nets" / "lossy-link.toml").rename(tmp_path / "nets" / "renamed.toml")
    orphan = pytest_in(tmp_path, "--memosim-scenarios", "nets", "--memosim-regen")
    assert "wrote nets/golden/renamed.json" in orphan.stdout
    assert re.search(r"\S+/nets/golden/lossy-link\.json: no scenario of that name", orphan.stdout)
    assert "renamed.json: no scenario" not in orphan.stdout


def test_bad_directory_and_bad_scenario_are_one_line_errors(tmp_path: Path):
    nodir = pytest_in(tmp_path, "--memosim-scenarios", "nowhere")
    assert nodir.returncode == 4  # pytest's usage error
    assert re.search(r"--memosim-scenarios: \S*nowhere is not a directory", nodir.stderr)
    assert "Traceback" not in nodir.stderr

    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "broken.toml").write_text("[scenario]\nduration_s = -1\n")
    broken = pytest_in(tmp_path, "--memosim-scenarios", "nets")
    assert broken.returncode == 1
    failure = broken.stdout.split("FAILURES", 1)[1].split("short test summary")[0]
    lines = [ln for ln in failure.splitlines() if ln.strip() and ln.strip()[0] not in "_="]
    assert lines == [
        f"{tmp_path / 'nets' / 'broken.toml'}: scenario.duration_s: expected a number in "
        "(0, 86400], found -1"
    ], failure


def test_loading_the_plugin_imports_nothing_heavy():
    heavy = ("simpy", "nacl", "matplotlib", "memosim.memoing", "memosim.sim", "memosim.testbed")
    code = (
        "import sys, pytest; import memosim.testing.plugin; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plugin_is_installed_as_a_pytest11_entry_point():
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="pytest11") if ep.name == "memosim"]
    assert [ep.value for ep in found] == ["memosim.testing.plugin"]


# --- the memosim_net fixture and SimNet ---------------------------------------


def lossy_pair(net: SimNet) -> tuple[object, object]:
    alice, bob = net.peer("alice", code="bAAE"), net.peer("bob")
    net.link("alice", "bob", loss={"rate": 0.3}, delay={"base_s": 0.01})
    return alice, bob


def test_acked_memos_arrive_over_loss_and_runs_repeat(memosim_net):
    digests = []
    for _ in range(2):
        net = memosim_net(seed=5)
        alice, bob = lossy_pair(net)
        for i in range(4):
            net.send(alice, f"memo {i} " + "z" * 2500, bob)
        net.expect(lambda bob=bob: len(bob.inbox) == 4, limit=30.0, what="four memos", peers=(bob,))
        assert sorted(m[:6] for m in net.delivered(bob)) == [f"memo {i}" for i in range(4)]
        assert any(e.kind == "drop" for e in net.events())  # the loss did bite
        digests.append((net.now, net.trace.digest()))
    assert digests[0] == digests[1]


def test_failed_assertion_shows_trace_and_inbox(memosim_net):
    net = memosim_net(seed=1)
    alice, bob = net.peer("alice"), net.peer("bob")
    net.link("alice", "bob", loss={"rate": 1.0}, both=False)
    net.send(alice, "lost", bob)
    with pytest.raises(AssertionError) as failed:
        net.assert_delivered(bob, "lost", src=alice, limit=0.5)
    text = str(failed.value)
    assert "AssertionError: " + text + "\n" == doc_block("AssertionError: 'lost'")
    assert text.startswith("'lost' delivered to bob: not by tyme 0.500 s")
    assert "datagram events of alice:1, bob:1" in text
    assert re.search(r"^    0\.\d{9} drop alice:1 bob:1 \d+ loss [0-9a-f]{8}$", text, re.M), text
    assert text.endswith("bob's inbox holds: nothing")


def test_run_until_stops_at_the_condition_or_the_limit(memosim_net):
    net = memosim_net(seed=1)
    alice, bob = net.peer("alice"), net.peer("bob")
    net.link("alice", "bob", delay={"base_s": 0.02})
    net.send(alice, "hi", bob)
    assert net.run_until(lambda: bob.inbox, limit=1.0)
    assert 0.02 <= net.now < 0.05  # stopped when it arrived, not at the limit
    before = net.now
    assert not net.run_until(lambda: False, limit=0.25)
    assert net.now == pytest.approx(before + 0.25)  # the limit counts from the call


def test_peer_implementations_are_pluggable(memosim_net, monkeypatch):
    made = []

    def make(net: SimNet, name: str, port: int, options: dict) -> object:
        from memosim.sim.peer import SimPeerMemoer

        made.append(name)
        return SimPeerMemoer(
            network=net.network, streams=net.streams, name=name, host=name, port=port, **options
        )

    from memosim import PeerMemoerDoer

    monkeypatch.setattr(simnet, "_IMPLS", dict(simnet._IMPLS))  # this test's registry
    register_impl("wrapped", PeerImpl(make, PeerMemoerDoer))
    net = memosim_net()
    alice, bob = net.peer("alice", impl="wrapped"), net.peer("bob")
    with pytest.raises(ValueError, match=r"impl 'hio3': no such peer implementation; known: \["):
        net.peer("carol", impl="hio3")
    net.send(alice, "via another impl", bob)
    net.assert_delivered(bob, "via another impl", limit=1.0)
    assert made == ["alice"]
    with pytest.raises(RuntimeError, match="peer 'carol': add peers before the first run"):
        net.peer("carol")
