"""Scenario files: the shipped ones load, documents round-trip, overrides are
validated, and every bad input gives one exact line naming file, key path,
expectation and finding."""

from __future__ import annotations

import math
import pickle
import random
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memosim.errors import MISSING, ScenarioError, Text, show
from memosim.testbed import (
    Scenario,
    SizeSpec,
    load_scenario,
    parse_override,
    parse_scenario,
)
from memosim.testbed.scenario import DOERS, MAX_GRAM_SIZE

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
REQUIRED = {
    "default",
    "clean-lan",
    "loss-1",
    "loss-5",
    "loss-20",
    "bursty-loss",
    "reorder-heavy",
    "duplication-storm",
    "corruption",
    "partition-heals",
    "signed-reorder",
    "near-gram-limit",
    "many-to-one",
    "narrow-link",
    "incast",
    "late-zeroth",
    "corrupt-acks",
    "source-flood",
    "adversarial",
}
#: Shipped scenarios that must outlast the protocol's expiries (30 s partial
#: memos, 60 s max tyme, 120 s delivered ids) or exceed its bounds (16,384
#: delivered ids), so are longer or bigger than the rest: (max duration_s,
#: max memo_count).
LARGE = {
    "late-zeroth": (75.0, 400),
    "adversarial": (240.0, 400),
    "source-flood": (40.0, 17_000),
    "narrow-link": (40.0, 500),  # 2.4x a 2 Mbit/s link for 10 s, then drained
    "incast": (40.0, 500),  # the same offered load through a shared ingress
    "hio-side-by-side": (75.0, 800),
    "hio-mixed": (25.0, 400),
    "hio-zeroth-flood": (35.0, 6_000),
}

BASE = """\
[scenario]
duration_s = 10.0

[[peers]]
name = "alice"
port = 5001

[[peers]]
name = "bob"
port = 5002

[[links]]
src = "alice"
dst = "bob"
both = true
loss = { rate = 0.05 }
delay = { base_s = 0.01 }

[[workload]]
src = "alice"
dst = "bob"
count = 10
interval_s = 0.1
memo_size = { dist = "fixed", bytes = 1000 }
"""


def load_text(tmp_path: Path, text: str, name: str = "bad.toml") -> Scenario:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def error_of(tmp_path: Path, text: str, name: str = "bad.toml") -> str:
    with pytest.raises(ScenarioError) as info:
        load_text(tmp_path, text, name)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / name) + ": ")
    return message[len(str(tmp_path / name)) + 2 :]


# ------------------------------------------------------------ shipped files


def test_every_required_scenario_is_shipped() -> None:
    assert REQUIRED <= {p.stem for p in SCENARIOS}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_loads_and_is_small(path: Path) -> None:
    s = load_scenario(path)
    assert s.name == path.stem
    assert path.read_text().startswith("# "), "a top comment says what it shows"
    assert s.description
    if any(p.impl == "hio" for p in s.peers):
        # hio has no acked delivery: both Doers would run the same plain memos
        assert s.doers == ("PeerMemoerDoer",)
    else:
        assert set(s.doers) == set(DOERS)
    longest, most = LARGE.get(s.name, (20.0, 400))
    assert 5.0 <= s.duration_s <= longest
    assert 10 <= s.memo_count <= most
    assert all(p.host == "127.0.0.1" for p in s.peers), "runs over UDP loopback too"
    for w in s.workload:
        assert w.end_s < s.duration_s
        assert w.memo_size.largest <= 16_000


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_round_trips(path: Path) -> None:
    s = load_scenario(path)
    doc = s.to_dict()
    assert parse_scenario(doc, str(path)) == s
    assert parse_scenario(doc, str(path)).to_dict() == doc
    # the canonical document is plain data (no proxies, no tuples)
    assert _plain(doc)


def _plain(x) -> bool:
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in x.items())
    if isinstance(x, list):
        return all(_plain(v) for v in x)
    return isinstance(x, (str, int, float, bool))


def test_default_scenario_is_the_demo() -> None:
    s = load_scenario(ROOT / "scenarios" / "default.toml")
    assert len(s.peers) == 2
    assert s.link("alice", "bob").config.loss.rate == 0.05
    assert s.link("bob", "alice") is s.link("alice", "bob")
    assert s.link("alice", "bob").config.delay.jitter_s > 0
    assert 200 <= s.memo_count <= 400
    size = s.workload[0].memo_size
    assert 10_000 <= size.smallest <= size.largest <= 14_000


def test_near_gram_limit_sizes_sit_at_body_boundaries() -> None:
    s = load_scenario(ROOT / "scenarios" / "near-gram-limit.toml")
    assert all(p.gram_size == MAX_GRAM_SIZE for p in s.peers)
    assert {p.name: p.bodies for p in s.peers if p.name != "bob"} == {
        "alice": (1208, 1208),
        "carol": (1076, 1120),
        "dave": (1216, 1216),
    }
    for link in s.links:
        assert link.config.mtu == MAX_GRAM_SIZE + 28
    for w in s.workload:
        ((sender, _),) = w.pairs
        peer = s.peer(sender)
        zeroth, later = peer.bodies
        n = w.memo_size.bytes
        boundaries = [zeroth + k * later for k in range(4)]
        assert min(abs(n - b) for b in boundaries) <= 1, (sender, n)
        k = peer.gram_count(n)
        assert (
            peer.gram_count(boundaries[k - 1]) == k
            and peer.gram_count(boundaries[k - 1] + 1) == k + 1
        )


def test_many_to_one_links_every_sender_with_the_hub() -> None:
    s = load_scenario(ROOT / "scenarios" / "many-to-one.toml")
    senders = [p.name for p in s.peers if p.name != "hub"]
    assert len(senders) >= 8
    assert s.workload[0].pairs == tuple((n, "hub") for n in senders)
    assert all(s.link(n, "hub") and s.link("hub", n) for n in senders)
    assert s.link(senders[0], senders[1]) is None  # no entry: a clean link


# ------------------------------------------------------------- round trips


def test_defaults_and_canonical_document(tmp_path: Path) -> None:
    s = load_text(tmp_path, BASE, "two.toml")
    assert s.name == "two" and s.seed == 1 and s.tock_s == 0.005 and s.doers == DOERS
    assert s.defaults.gram_size == 1240 and s.defaults.acked and not s.defaults.signed
    assert s.peer("bob").addr == ("127.0.0.1", 5002)
    doc = s.to_dict()
    assert doc["scenario"] == {
        "name": "two",
        "description": "",
        "duration_s": 10.0,
        "seed": 1,
        "tock_s": 0.005,
        "doers": list(DOERS),
    }
    assert doc["links"] == [
        {
            "src": "alice",
            "dst": "bob",
            "both": True,
            "loss": {"rate": 0.05},
            "delay": {"base_s": 0.01},
        }
    ]
    assert doc["workload"][0] == {
        "src": "alice",
        "dst": "bob",
        "count": 10,
        "interval_s": 0.1,
        "start_s": 0.0,
        "memo_size": {"dist": "fixed", "bytes": 1000},
    }
    assert parse_scenario(doc, "elsewhere.toml") == s  # the file is not part of equality


def test_hosts_references_wildcards_and_specificity(tmp_path: Path) -> None:
    text = BASE.replace('name = "bob"\nport = 5002', 'name = "bob"\nhost = "0:0::1"\nport = 5002')
    text = text.replace(
        '[[links]]\nsrc = "alice"\ndst = "bob"', '[[links]]\nsrc = "alice"\ndst = "::1"'
    )
    text += """
[[peers]]
name = "carol"
port = 5003

[[links]]
src = "*"
dst = "*"
duplicate = { rate = 0.5 }

[[partitions]]
peers = ["carol"]
start_s = 1.0
"""
    s = load_text(tmp_path, text)
    assert s.peer("bob").host == "::1"
    assert s.links[0].dst == "bob"
    assert s.link("alice", "bob") is s.links[0] and s.link("bob", "alice") is s.links[0]
    assert s.link("alice", "carol") is s.links[1] and s.link("carol", "bob") is s.links[1]
    assert len(s.routes) == 6
    part = s.partitions[0]
    assert part.end_s is None and "end_s" not in s.to_dict()["partitions"][0]
    assert part.cuts("alice", "carol", 5.0) and not part.cuts("alice", "bob", 5.0)
    assert not part.cuts("alice", "carol", 0.5)
    assert parse_scenario(s.to_dict(), "x") == s


def test_workload_pairs_rate_and_times(tmp_path: Path) -> None:
    text = BASE.replace(
        'src = "alice"\ndst = "bob"\ncount = 10\ninterval_s = 0.1',
        'src = "*"\ndst = "*"\ncount = 4\nrate_per_s = 4\nstart_s = 1',
    )
    w = load_text(tmp_path, text).workload[0]
    assert w.src == "*" and w.pairs == (("alice", "bob"), ("bob", "alice"))
    assert w.interval_s is None and w.period_s == 0.25
    assert w.times() == (1.0, 1.25, 1.5, 1.75) and w.end_s == 1.75


# ------------------------------------------------------------- overrides


def test_with_override_changes_one_value_and_revalidates(tmp_path: Path) -> None:
    s = load_text(tmp_path, BASE)
    t = s.with_override("links.0.loss.rate", 0.2)
    assert t.links[0].config.loss.rate == 0.2 and t.links[0].impairments["loss"]["rate"] == 0.2
    assert s.links[0].config.loss.rate == 0.05  # the original is untouched
    assert s.with_override("links[0].loss.rate", 0.2) == t
    assert s.with_override("scenario.duration_s", 30).duration_s == 30.0
    assert s.with_override("scenario.seed", s.seed) == s
    added = s.with_override("links.0.duplicate.rate", 0.1)
    assert added.links[0].config.duplicate.rate == 0.1
    assert added.with_override(
        "workload.0.memo_size", {"dist": "uniform", "min": 5, "max": 9}
    ).workload[0].memo_size == SizeSpec("uniform", min=5, max=9)


def test_defaults_override_reaches_only_inheriting_peers(tmp_path: Path) -> None:
    text = BASE.replace('name = "bob"\nport = 5002', 'name = "bob"\nport = 5002\ngram_size = 900')
    s = load_text(tmp_path, text).with_override("defaults.gram_size", 600)
    assert s.peer("alice").gram_size == 600 and s.peer("bob").gram_size == 900
    assert s.peer("bob").overrides == ("gram_size",)
    t = s.with_override("defaults.signed", True)
    assert t.peer("alice").signed and t.peer("alice").overhead == 164


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("links.0.loss.rate", 1.5, "links[0].loss.rate: expected a number in [0, 1], found 1.5"),
        ("links.2.loss.rate", 0.1, "links: expected an index below 1, found 2"),
        (
            "scenario.duration_s.x",
            1,
            "scenario.duration_s: expected a table or an array, found 10.0",
        ),
        ("peers.x", 1, "peers: expected an index below 2, found x"),
        ("nothere.0.x", 1, "nothere: expected an existing array, found nothing"),
        (
            "links..loss",
            1,
            'expected a dotted key path such as "links.0.loss.rate", found "links..loss"',
        ),
        (
            "scenario.duration_s",
            0.5,
            "workload[0].count: expected a count whose last memo is due before duration_s = 0.5"
            " (start_s + (count - 1) * interval), found 10, the last due at 0.9",
        ),
    ],
)
def test_bad_override_message(tmp_path: Path, path: str, value, message: str) -> None:
    s = load_text(tmp_path, BASE)
    with pytest.raises(ScenarioError) as info:
        s.with_override(path, value)
    assert str(info.value) == f"{s.file} with {path} = {show(value)}: {message}"


def test_parse_override() -> None:
    assert parse_override("links.0.loss.rate=0.2") == ("links.0.loss.rate", 0.2)
    assert parse_override(" defaults.signed = true ") == ("defaults.signed", True)
    assert parse_override('scenario.doers=["PeerMemoerDoer"]') == (
        "scenario.doers",
        ["PeerMemoerDoer"],
    )
    assert parse_override("links.0.delay.distribution=normal") == (
        "links.0.delay.distribution",
        "normal",
    )
    with pytest.raises(
        ScenarioError, match=r"^<override>: expected key.path=value, found \"oops\"$"
    ):
        parse_override("oops")


# ------------------------------------------------------------ bad inputs

LINK0 = 'src = "alice"\ndst = "bob"\nboth = true\nloss = { rate = 0.05 }'
WORK0 = 'count = 10\ninterval_s = 0.1\nmemo_size = { dist = "fixed", bytes = 1000 }'
PEER1 = 'name = "bob"\nport = 5002'

BAD = [
    # (text to replace in BASE, replacement, message after "<file>: ")
    (
        "duration_s = 10.0",
        "duration_s = 0",
        "scenario.duration_s: expected a number in (0, 86400], found 0",
    ),
    (
        "duration_s = 10.0",
        'duration_s = "10"',
        'scenario.duration_s: expected a number in (0, 86400], found "10"',
    ),
    (
        "duration_s = 10.0",
        "duration_s = inf",
        "scenario.duration_s: expected a number in (0, 86400], found inf",
    ),
    (
        "duration_s = 10.0",
        "description = 'x'",
        "scenario.duration_s: expected a number in (0, 86400], found nothing",
    ),
    (
        "duration_s = 10.0",
        "duration = 10.0",
        "scenario.duration: expected one of the keys name, description, duration_s, seed, tock_s,"
        ' doers, found an unknown key (did you mean "duration_s"?)',
    ),
    (
        "duration_s = 10.0",
        "duration_s = 10.0\nseed = 1.5",
        "scenario.seed: expected an integer, found 1.5",
    ),
    (
        "duration_s = 10.0",
        "duration_s = 10.0\ntock_s = 11",
        "scenario.tock_s: expected a number in [0.0001, duration_s = 10], found 11",
    ),
    (
        "duration_s = 10.0",
        'duration_s = 10.0\nname = "a/b"',
        'scenario.name: expected a name of letters, digits, _ . - starting with a letter or digit (at most 64; it names the results directory), found "a/b"',
    ),
    (
        "duration_s = 10.0",
        'duration_s = 10.0\ndoers = ["SafePeerMemoDoer"]',
        'scenario.doers[0]: expected "PeerMemoerDoer" or "SafePeerMemoerDoer" or a Doer class'
        ' by import path "module:Class", found "SafePeerMemoDoer" (did you mean'
        ' "SafePeerMemoerDoer"?)',
    ),
    (
        "duration_s = 10.0",
        'duration_s = 10.0\ndoers = ["PeerMemoerDoer", "PeerMemoerDoer"]',
        'scenario.doers[1]: expected each Doer once, found "PeerMemoerDoer"',
    ),
    (
        "duration_s = 10.0",
        "duration_s = 10.0\ndoers = []",
        'scenario.doers: expected a non-empty array of "PeerMemoerDoer" or "SafePeerMemoerDoer"'
        ' or a Doer class by import path "module:Class", found []',
    ),
    (
        "[scenario]",
        "[scenery]\nx=1\n[scenario]",
        "scenery: expected one of the keys scenario, defaults, retry, peers, links, partitions, workload, "
        'explore, found an unknown key (did you mean "scenario"?)',
    ),
    (
        "[[workload]]",
        "[[workloads]]",
        "workloads: expected one of the keys scenario, defaults, retry, peers, links, partitions, workload, "
        'explore, found an unknown key (did you mean "workload"?)',
    ),
    # defaults and peers
    (
        '[[peers]]\nname = "alice"',
        '[defaults]\nsize = 1000\n\n[[peers]]\nname = "alice"',
        "defaults.size: expected one of the keys gram_size, curt, signed, acked,"
        ' found an unknown key (did you mean "gram_size"?)',
    ),
    (
        '[[peers]]\nname = "alice"',
        '[defaults]\ngram_size = 1241\n\n[[peers]]\nname = "alice"',
        "defaults.gram_size: expected an integer in [33, 1240] (acked text grams carry 32 header"
        " bytes), found 1241",
    ),
    (
        '[[peers]]\nname = "alice"',
        '[defaults]\ngram_size = 24\ncurt = true\nacked = false\n\n[[peers]]\nname = "alice"',
        "defaults.gram_size: expected an integer in [25, 1240] (plain binary grams carry 24 header"
        " bytes), found 24",
    ),
    (
        '[[peers]]\nname = "alice"',
        '[defaults]\ngram_size = 100\n\n[[peers]]\nname = "alice"',
        None,
    ),  # fine for unsigned peers
    (
        '[[peers]]\nname = "alice"',
        '[defaults]\ngram_size = 100\n\n[[peers]]\nsigned = true\nname = "alice"',
        "defaults.gram_size: expected an integer in [165, 1240] (peer alice sends signed acked text"
        " grams with 164 bytes of header and signature), found 100",
    ),
    (
        PEER1,
        PEER1 + "\nsigned = true\ngram_size = 164",
        "peers[1].gram_size: expected an integer in [165, 1240] (signed acked text grams carry 164"
        " bytes of header and signature), found 164",
    ),
    (PEER1, PEER1 + "\nsigned = 1", "peers[1].signed: expected true or false, found 1"),
    (
        PEER1,
        'name = "alice"\nport = 5002',
        'peers[1].name: expected a name no other peer has, found "alice", the name of peers[0]',
    ),
    (
        PEER1,
        'name = "bob"\nport = 5001',
        "peers[1].port: expected an address no other peer has, found 5001, making 127.0.0.1:5001"
        " the address of peers[0]",
    ),
    (
        PEER1,
        'name = "bob"\nport = 70000',
        "peers[1].port: expected an integer in [1, 65535], found 70000",
    ),
    (PEER1, 'name = "bob"', "peers[1].port: expected an integer in [1, 65535], found nothing"),
    (
        PEER1,
        'name = "bob"\nport = 5002\nhost = "localhost"',
        'peers[1].host: expected an IPv4 or IPv6 address, found "localhost"',
    ),
    (
        PEER1,
        'name = "2bob"\nport = 5002',
        "peers[1].name: expected a name of letters, digits, _ . - starting with a letter (at most 32),"
        ' found "2bob"',
    ),
    (
        PEER1,
        'name = "bob"\nport = 5002\nsize = 1000',
        "peers[1].size: expected one of the keys name, host, port, impl, gram_size, curt, signed,"
        ' acked, retry, egress, ingress, found an unknown key (did you mean "gram_size"?)',
    ),
    (
        '[[peers]]\nname = "alice"\nport = 5001\n\n',
        "",
        "peers: expected at least two [[peers]] entries, found 1",
    ),
    (
        '[[peers]]\nname = "alice"\nport = 5001\n\n[[peers]]\nname = "bob"\nport = 5002\n',
        '[peers]\nname = "alice"\n',
        'peers: expected an array of tables [[peers]] (at least two), found {name = "alice"}',
    ),
    # links
    (
        "loss = { rate = 0.05 }",
        "loss = { rate = 1.5 }",
        "links[0].loss.rate: expected a number in [0, 1], found 1.5",
    ),
    (
        "loss = { rate = 0.05 }",
        "loss = { rat = 0.05 }",
        "links[0].loss.rat: expected one of the keys model, rate, correlation, found an unknown key"
        ' (did you mean "rate"?)',
    ),
    (
        "loss = { rate = 0.05 }",
        "los = { rate = 0.05 }",
        "links[0].los: expected one of the keys src, dst, both, loss, delay, reorder, duplicate,"
        ' corrupt, rate, mtu, schedule, found an unknown key (did you mean "loss"?)',
    ),
    (
        "loss = { rate = 0.05 }",
        "loss = 0.05",
        "links[0].loss: expected a table with keys model, rate, correlation, found 0.05",
    ),
    (
        "loss = { rate = 0.05 }",
        'loss = { model = "gilbert_elliott", p = 2 }',
        "links[0].loss.p: expected a number in [0, 1] (a fraction: 0.02 for 2%), found 2",
    ),
    (
        "delay = { base_s = 0.01 }",
        'delay = { base_s = 0.01, distribution = "gauss" }',
        'links[0].delay.distribution: expected "uniform" or "normal" or "pareto" or "lognormal",'
        ' found "gauss"',
    ),
    (
        "delay = { base_s = 0.01 }",
        "reorder = { rate = 0.1 }",
        "links[0].reorder: expected a delay on the same link (as in netem), found {rate = 0.1}",
    ),
    (
        "delay = { base_s = 0.01 }",
        'schedule = [ { at = 2.0, state = "off" } ]',
        'links[0].schedule[0].state: expected "down" or "up", found "off"',
    ),
    (
        "delay = { base_s = 0.01 }",
        "mtu = 20",
        "links[0].mtu: expected an integer >= 29 (IPv4 datagram bytes), found 20",
    ),
    (
        LINK0,
        'src = "alice"\ndst = "bobb"',
        'links[0].dst: expected a peer name (alice, bob) or the host of exactly one peer, or "*" for'
        ' every peer, found "bobb" (did you mean "bob"?)',
    ),
    (
        LINK0,
        'src = "alice"\ndst = "alice"',
        'links[0].dst: expected a peer other than src, found "alice"',
    ),
    (
        LINK0,
        'dst = "bob"',
        'links[0].src: expected a peer name (alice, bob) or the host of exactly one peer, or "*" for'
        " every peer, found nothing",
    ),
    (
        LINK0,
        'src = "127.0.0.1"\ndst = "bob"',
        'links[0].src: expected a peer name (alice, bob) or the host of exactly one peer, or "*" for'
        ' every peer, found "127.0.0.1", the host of 2 peers',
    ),
    (
        LINK0,
        LINK0 + '\n\n[[links]]\nsrc = "bob"\ndst = "alice"',
        'links[1]: expected one entry per directed pair (a more specific entry may override a "*"'
        " one), found bob -> alice again, as in links[0]",
    ),
    (LINK0, LINK0 + '\n\n[[links]]\nsrc = "*"\ndst = "*"\nmtu = 1500', None),  # less specific
    # partitions
    (
        "[[workload]]",
        '[[partitions]]\nhosts = ["alice"]\nstart_s = 1.0\n\n[[workload]]',
        "partitions[0].hosts: expected one of the keys peers, start_s, end_s, found an unknown key"
        ' (did you mean "peers"?)',
    ),
    (
        "[[workload]]",
        '[[partitions]]\npeers = ["alice", "carol"]\nstart_s = 1.0\n\n[[workload]]',
        "partitions[0].peers[1]: expected a peer name (alice, bob) or the host of exactly one peer,"
        ' found "carol"',
    ),
    (
        "[[workload]]",
        '[[partitions]]\npeers = ["alice", "bob"]\nstart_s = 1.0\n\n[[workload]]',
        "partitions[0].peers: expected some but not all peers (the rest form the other side),"
        ' found ["alice", "bob"]',
    ),
    (
        "[[workload]]",
        '[[partitions]]\npeers = ["alice"]\nstart_s = 5.0\nend_s = 5.0\n\n[[workload]]',
        "partitions[0].end_s: expected a number > start_s = 5, found 5.0",
    ),
    (
        "[[workload]]",
        '[[partitions]]\npeers = ["alice"]\nstart_s = 10\n\n[[workload]]',
        "partitions[0].start_s: expected a number in [0, duration_s = 10), found 10",
    ),
    # workload
    (
        "count = 10",
        "count = -1",
        "workload[0].count: expected an integer in [0, 100000] (memos per pair; at most 100,000 per run), found -1",
    ),
    (
        "count = 10",
        "count = 10.0",
        "workload[0].count: expected an integer in [0, 100000] (memos per pair; at most 100,000 per run), found 10.0",
    ),
    (
        "count = 10",
        "count = 101",
        "workload[0].count: expected a count whose last memo is due before duration_s = 10"
        " (start_s + (count - 1) * interval), found 101, the last due at 10",
    ),
    (
        "interval_s = 0.1",
        "interval_s = 0.1\nrate_per_s = 10",
        "workload[0].rate_per_s: expected either interval_s or rate_per_s, not both, found 10",
    ),
    (
        "interval_s = 0.1",
        "",
        "workload[0].interval_s: expected a number >= 0 (or rate_per_s, a number > 0), found nothing",
    ),
    (
        "interval_s = 0.1",
        "rate_per_s = 0",
        "workload[0].rate_per_s: expected a number > 0, found 0",
    ),
    (
        "interval_s = 0.1",
        "interval = 0.1",
        "workload[0].interval: expected one of the keys src, dst, count, interval_s, rate_per_s,"
        ' start_s, memo_size, found an unknown key (did you mean "interval_s"?)',
    ),
    (
        'src = "alice"\ndst = "bob"\n' + WORK0,
        'src = "alice"\ndst = "alice"\n' + WORK0,
        'workload[0].dst: expected a peer other than the sender, found "alice"',
    ),
    (
        'src = "alice"\ndst = "bob"\n' + WORK0,
        'src = "alice"\ndst = ["bob", "bob"]\n' + WORK0,
        'workload[0].dst[1]: expected each peer once, found "bob"',
    ),
    (
        'src = "alice"\ndst = "bob"\n' + WORK0,
        'src = "alice"\ndst = "bo"\n' + WORK0,
        'workload[0].dst: expected a peer name (alice, bob) or the host of exactly one peer, or "*"'
        ' for every peer, found "bo" (did you mean "bob"?)',
    ),
    (
        '{ dist = "fixed", bytes = 1000 }',
        '{ dist = "fixed", bytes = 0 }',
        "workload[0].memo_size.bytes: expected an integer in [1, 16777216], found 0",
    ),
    (
        '{ dist = "fixed", bytes = 1000 }',
        '{ dist = "fixed", size = 1000 }',
        "workload[0].memo_size.size: expected one of the keys dist, bytes, found an unknown key",
    ),
    (
        '{ dist = "fixed", bytes = 1000 }',
        '{ dist = "lognorm", median = 1000 }',
        'workload[0].memo_size.dist: expected "fixed" or "uniform" or "lognormal", found "lognorm"'
        ' (did you mean "lognormal"?)',
    ),
    (
        '{ dist = "fixed", bytes = 1000 }',
        '{ dist = "uniform", min = 2000, max = 1000 }',
        "workload[0].memo_size.max: expected an integer in [2000, 16777216], found 1000",
    ),
    (
        '{ dist = "fixed", bytes = 1000 }',
        '{ dist = "lognormal", median = 1000, sigma = 0.5 }',
        "workload[0].memo_size.max: expected an integer in [1, 16777216], found nothing",
    ),
    (
        '{ dist = "fixed", bytes = 1000 }',
        '{ dist = "lognormal", median = 9000, sigma = 0.5, max = 8000 }',
        "workload[0].memo_size.median: expected a number in [min = 1, max = 8000], found 9000",
    ),
    (
        'memo_size = { dist = "fixed", bytes = 1000 }',
        "memo_size = 1000",
        'workload[0].memo_size: expected {dist = "fixed", bytes = N} or a uniform or lognormal table,'
        " found 1000",
    ),
    (
        '[[workload]]\nsrc = "alice"\ndst = "bob"\n' + WORK0,
        "",
        "workload: expected an array of tables [[workload]], found nothing",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_gives_one_exact_line(
    tmp_path: Path, old: str, new: str, message: str | None
) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    if message is None:
        load_text(tmp_path, text)
    else:
        assert error_of(tmp_path, text) == message


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    text = BASE.replace("count = 10", "count = = 10")
    line = text.splitlines().index("count = = 10") + 1
    assert error_of(tmp_path, text) == (
        f"line {line}, column 9: expected valid TOML, found a syntax error (Invalid value)"
    )
    dup = BASE.replace("count = 10", "count = 10\ncount = 11")
    assert error_of(tmp_path, dup).startswith(f"line {line + 1}, column ")


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing)
    assert (
        str(info.value)
        == f"{missing}: expected a readable scenario file, found no such file or directory"
    )
    path = tmp_path / "latin.toml"
    path.write_bytes(b"[scenario]\n# caf\xe9\nduration_s = 1\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: line 2: expected UTF-8 text, found byte 0xe9"


def test_parse_scenario_rejects_non_tables() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario([1, 2], "mem")
    assert str(info.value) == "mem: expected a TOML document (a table of tables), found [1, 2]"


def test_scenario_error_attributes_pickle_and_shape() -> None:
    err = ScenarioError("f.toml", "links[1].loss.rate", "a number in [0, 1]", 1.5)
    assert (err.file, err.path, err.expected, err.found) == (
        "f.toml",
        "links[1].loss.rate",
        "a number in [0, 1]",
        1.5,
    )
    assert str(err) == "f.toml: links[1].loss.rate: expected a number in [0, 1], found 1.5"
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err)
    assert str(ScenarioError("f", "k", "x", MISSING)) == "f: k: expected x, found nothing"
    assert str(ScenarioError("f", "k", "x", "a\nb")) == 'f: k: expected x, found "a\\nb"'
    assert str(ScenarioError("f", "k", "x", Text("a thing"))) == "f: k: expected x, found a thing"
    long = str(ScenarioError("f", "k", "x", "y" * 500))
    assert len(long) < 100 and long.endswith("...")


def test_show_renders_like_toml() -> None:
    assert show(True) == "true" and show(1.0) == "1.0" and show(math.nan) == "nan"
    assert show({"a b": [1, "x"]}) == '{"a b" = [1, "x"]}'
    assert show(None) == "a NoneType"


# ---------------------------------------------------------------- sizes


def test_size_sampling_is_deterministic_and_bounded() -> None:
    uni = SizeSpec("uniform", min=10, max=12)
    rng = random.Random(5)
    draws = [uni.sample(rng) for _ in range(300)]
    assert set(draws) == {10, 11, 12}
    logn = SizeSpec("lognormal", min=100, max=5000, median=1000.0, sigma=0.5)
    a = [logn.sample(random.Random(9)) for _ in range(3)]
    b = [logn.sample(random.Random(9)) for _ in range(3)]
    assert a == b
    many = sorted(logn.sample(random.Random(i)) for i in range(2001))
    assert all(100 <= x <= 5000 for x in many)
    assert 900 <= many[1000] <= 1100  # the median
    assert SizeSpec("fixed", bytes=7).sample(rng) == 7


# ------------------------------------------------- robustness (no tracebacks)


def _leaf_paths(x, prefix: str = "") -> list[str]:
    if isinstance(x, dict):
        out = [prefix] if prefix else []
        for k, v in x.items():
            out += _leaf_paths(v, f"{prefix}.{k}" if prefix else k)
        return out
    if isinstance(x, list):
        out = [prefix]
        for i, v in enumerate(x):
            out += _leaf_paths(v, f"{prefix}.{i}")
        return out
    return [prefix]


_DEFAULT = load_scenario(ROOT / "scenarios" / "near-gram-limit.toml")
_PATHS = sorted(set(_leaf_paths(_DEFAULT.to_dict())))
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["*", "alice", "bob", "127.0.0.1", "fixed", "gilbert_elliott"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(_PATHS), value=_values)
def test_any_override_gives_a_scenario_or_one_scenario_error(path: str, value) -> None:
    try:
        result = _DEFAULT.with_override(path, value)
    except ScenarioError as err:
        assert "\n" not in str(err)
    else:
        assert parse_scenario(result.to_dict(), "x") == result


def test_shipped_files_are_valid_toml_with_top_comment() -> None:
    for path in SCENARIOS:
        text = path.read_text()
        tomllib.loads(text)
        first = text.splitlines()[0]
        assert first.startswith("# ") and len(first) > 20
