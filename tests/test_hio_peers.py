"""impl = "hio": hio 0.7.20's own PeerMemoer as a scenario peer, on both backends.

hio is installed into .venv by `make test` (`make hio`). Its known faults are
shown through the shipped hio-* scenarios; these tests pin what their
summaries must show, the determinism of hio peers, what is refused when a
scenario loads, and that the real hio and memosim.compat.hio never mix.
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest

from memosim.errors import ScenarioError
from memosim.testbed import load, run
from memosim.testbed.hio_peers import INSTALL_HIO, load_hio
from memosim.testbed.metrics import Recorder
from memosim.testbed.report import format_table
from memosim.testbed.scenario import Scenario, parse_scenario
from memosim.testbed.workload import MemoKey, make_memo

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"

MIXED = """
[scenario]
duration_s = 4.0
seed = 3
doers = ["PeerMemoerDoer"]
[defaults]
acked = false
[[peers]]
name = "alice"
port = 47400
impl = "hio"
[[peers]]
name = "bob"
port = 47401
[[links]]
src = "alice"
dst = "bob"
both = true
loss = { rate = 0.1 }
delay = { base_s = 0.02, jitter_s = 0.005 }
reorder = { rate = 0.2 }
[[workload]]
src = ["alice", "bob"]
dst = ["bob", "alice"]
count = 30
interval_s = 0.1
memo_size = { dist = "uniform", min = 100, max = 4000 }
"""


def scenario_of(text: str, file: str) -> Scenario:
    return parse_scenario(tomllib.loads(text), file)


def by_peer(scenario: str, **kwa: Any) -> dict[str, dict[str, Any]]:
    result = run(load(SCENARIOS / f"{scenario}.toml"), **kwa)
    peers: dict[str, dict[str, Any]] = result.runs[0].summary["by_peer"]
    return peers


def test_a_hio_sender_and_a_memosim_receiver_repeat_byte_for_byte_over_an_impaired_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_uuid1(*_a: object, **_k: object) -> uuid.UUID:
        raise AssertionError("a simulated hio peer read uuid1")

    monkeypatch.setattr(uuid, "uuid1", no_uuid1)  # its memo ids come from the seed
    scenario = scenario_of(MIXED, "mixed.toml")
    first, again = run(scenario), run(scenario)
    other = run(scenario, seed=4)
    assert first.trace_digest == again.trace_digest != other.trace_digest
    summary = first.runs[0].summary
    assert summary["links"]["alice->bob"]["dropped"]["loss"] > 0  # the link was impaired
    assert summary["by_peer"]["alice"]["impl"] == "hio"
    assert summary["by_peer"]["bob"]["impl"] == "memosim"
    assert 0 < summary["by_peer"]["bob"]["memos_delivered"] < 30  # from hio, minus losses
    assert 0 < summary["by_peer"]["alice"]["memos_delivered"] < 30  # and the reverse
    assert summary["corrupt_delivered"] == summary["duplicates_delivered"] == 0


def test_the_sim_peer_is_the_real_hio_memoer_on_memosims_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from memosim.testbed.hio_peers import hio_sim_peer
    from memosim.transports.simulated import SimPeer

    memoing = load_hio()["hio.core.memo.memoing"]
    assert "site-packages" in memoing.__file__ and "memosim" not in memoing.__name__
    import simpy

    from memosim.sim import Network

    net = Network(simpy.Environment(), 1)
    draws = iter([bytes(16), bytes(range(16))])
    peer = hio_sim_peer(network=net, draw=lambda: next(draws), name="a", host="a", port=1)
    assert isinstance(peer, memoing.Memoer) and isinstance(peer, SimPeer)
    assert peer.makeMID() == "0A" + "A" * 22  # hio's id format, from the draws
    # the same text hio's own makeMID gives for the same 16 bytes from uuid1
    monkeypatch.setattr(uuid, "uuid1", lambda: uuid.UUID(bytes=bytes(range(16))))
    assert peer.makeMID() == memoing.Memoer.makeMID()


def test_hio_curt_short_shows_hio_delivering_short_binary_memos_empty() -> None:
    peers = by_peer("hio-curt-short")
    bob, carol = peers["bob"], peers["carol"]
    assert (bob["impl"], carol["impl"]) == ("hio", "memosim")
    assert bob["corrupt_delivered"] == 50 and bob["memos_delivered"] == 50  # 100-byte control
    assert carol["memos_delivered"] == 100 and carol["corrupt_delivered"] == 0


def test_the_peer_block_in_docs_hio_peers_md_is_what_hio_curt_short_prints() -> None:
    doc = (REPO / "docs" / "hio-peers.md").read_text()
    block = doc.split("```\npeers (impl)")[1].split("```")[0]
    table = format_table(run(load(SCENARIOS / "hio-curt-short.toml")), color=False)
    assert "peers (impl)" + block.rstrip("\n") in table


def test_hio_zeroth_flood_shows_hio_holding_every_partial_memo_and_memosim_bounded() -> None:
    peers = by_peer("hio-zeroth-flood")
    assert peers["bob"]["partial_memos_held"] == 3000
    assert peers["carol"]["partial_memos_held"] == 1024
    assert peers["bob"]["memos_delivered"] == peers["carol"]["memos_delivered"] == 0


def test_hio_side_by_side_same_loss_hio_holds_and_repeats_memosim_does_not() -> None:
    result = run(load(SCENARIOS / "hio-side-by-side.toml"))
    peers = result.runs[0].summary["by_peer"]
    bob, carol = peers["bob"], peers["carol"]
    assert bob["partial_memos_held"] > 40 and carol["partial_memos_held"] == 0
    assert bob["duplicates_delivered"] > 0 and carol["duplicates_delivered"] == 0
    assert abs(bob["memos_delivered"] - carol["memos_delivered"]) < 40  # same loss
    table = format_table(result, color=False)
    assert "bob (hio)" in table and "carol (memosim)" in table


def test_the_peer_block_is_shown_only_when_a_peer_runs_hio() -> None:
    plain = MIXED.replace('impl = "hio"\n', "")
    table = format_table(run(scenario_of(plain, "plain.toml")), color=False)
    assert "(memosim)" not in table and "peers (impl)" not in table


@pytest.mark.parametrize(
    "edit, where, says",
    [
        (("[defaults]\nacked = false", "[defaults]\nacked = true"), "peers[0].acked", "never"),
        (
            ('impl = "hio"', 'impl = "hio"\ncurt = true\ngram_size = 32'),
            "peers[0].gram_size",
            "at least 33",
        ),
        (('impl = "hio"', 'impl = "hoi"'), "peers[0].impl", '"hio"'),
        (
            ("port = 47401\n", "port = 47401\nacked = true\n"),
            "workload[0].dst",
            "alice (hio), sent acked memos by bob",
        ),
        (
            ("reorder = { rate = 0.2 }", "corrupt = { rate = 0.01, deliver = true }"),
            "links[0].corrupt.deliver",
            "raise out of hio",
        ),
    ],
)
def test_what_hio_cannot_do_is_refused_in_one_line_when_the_scenario_loads(
    edit: tuple[str, str], where: str, says: str
) -> None:
    text = MIXED.replace(*edit)
    assert text != MIXED
    with pytest.raises(ScenarioError) as err:
        scenario_of(text, "bad.toml")
    message = str(err.value)
    assert message.startswith(f"bad.toml: {where}: ") and says in message
    assert "\n" not in message


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_without_hio_a_hio_scenario_says_in_one_line_how_to_install_it(tmp_path: Path) -> None:
    scenario = tmp_path / "mixed.toml"
    scenario.write_text(MIXED)
    proc = _python(
        f"""
        import sys
        sys.modules["hio"] = None  # as if hio were not installed
        from memosim.cli import main
        sys.exit(main(["run", {str(scenario)!r}, "--out", {str(tmp_path / "out")!r}, "--no-plots"]))
        """
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and INSTALL_HIO in lines[0] and "impl" in lines[0], proc.stderr


def test_compat_layer_and_real_hio_never_mix_in_one_process() -> None:
    # The layer on first: an impl = "hio" run refuses, naming why.
    proc = _python(
        """
        from memosim.compat import hio as compat
        compat.install()
        from memosim.errors import ScenarioError
        from memosim.testbed.hio_peers import load_hio
        try:
            load_hio()
        except ScenarioError as ex:
            print(ex)
        """
    )
    assert proc.returncode == 0 and "memosim.compat.hio installed" in proc.stdout, proc.stderr
    # A hio run first: the layer refuses, and the run used the real package.
    proc = _python(
        """
        import sys
        from memosim.testbed.hio_peers import load_hio
        memoing = load_hio()["hio.core.memo.memoing"]
        print(memoing.__file__)
        from memosim.compat import hio as compat
        try:
            compat.install()
        except RuntimeError as ex:
            print(ex)
        """
    )
    assert proc.returncode == 0, proc.stderr
    where, refusal = proc.stdout.strip().splitlines()
    assert where.endswith("hio/core/memo/memoing.py") and "/memosim/" not in where
    assert refusal.startswith("hio is already imported")


def test_recorder_knows_untagged_short_memos_by_content_and_receiver() -> None:
    key = MemoKey(0, "alice", "bob", 0)
    memo = make_memo(key, 6, random.Random(1))
    rec = Recorder()
    rec.sent(key, memo, 0.0)
    rec.delivered("", 0.1, "bob")  # what hio delivers for it
    rec.delivered(memo, 0.2, "carol")  # right content, wrong receiver
    rec.delivered(memo, 0.3, "bob")
    assert rec.memos[key].delivered_s == 0.3 and rec.corrupt == 2
    assert rec.to_peer["bob"] == {
        "memos_delivered": 1,
        "duplicates_delivered": 0,
        "corrupt_delivered": 1,
    }


@pytest.mark.udp
def test_a_hio_peer_and_a_memosim_peer_exchange_memos_over_the_udp_backend() -> None:
    text = MIXED.replace("duration_s = 4.0", "duration_s = 3.5").replace(
        "loss = { rate = 0.1 }", ""
    )
    result = run(scenario_of(text, "mixed.toml"), backend="udp")
    peers = result.runs[0].summary["by_peer"]
    assert peers["alice"]["impl"] == "hio"
    assert peers["bob"]["memos_delivered"] == 30 and peers["alice"]["memos_delivered"] == 30
    assert result.runs[0].summary["corrupt_delivered"] == 0
