"""Review k: defects found in the session's Ack v3, proven backoff and explore draws.

Each test failed before its fix (see the commit that adds it).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import EchoLink, LinkedMemoer, seed_of

from memosim import Memoer, make_keyage
from memosim.core.codes import MemoDex, overhead
from memosim.core.errors import MemoerError
from memosim.errors import ScenarioError
from memosim.testbed.explore_draw import draw_run
from memosim.testbed.scenario import load_scenario, parse_scenario
from memosim.tyming import Tymist

EXPLORED = textwrap.dedent("""\
    [scenario]
    name = "drawn"
    duration_s = 5.0
    doers = ["SafePeerMemoerDoer"]

    [retry]
    policy = "fast"
    min_rto = 0.02
    max_rto = 0.04

    [[peers]]
    name = "alice"
    port = 47331
    {own}

    [[peers]]
    name = "bob"
    port = 47332

    [[workload]]
    src = "alice"
    dst = "bob"
    count = 5
    interval_s = 0.1
    memo_size = {{ dist = "fixed", bytes = 100 }}

    [explore]
    retry = {{ p = 1.0, fast = {fast} }}
    """)


def explored(tmp_path: Path, fast: float, own: str = "") -> Path:
    path = tmp_path / "drawn.toml"
    path.write_text(EXPLORED.format(fast=fast, own=own))
    return path


def test_a_retry_draw_the_file_cannot_run_is_refused_when_the_file_loads(tmp_path: Path) -> None:
    # max_rto 0.04 is above the fast policy's default ack_delay (0.015) but
    # not the rto policy's (0.05): a drawn "rto" policy made every run's
    # document invalid, so `memosim validate` said ok and `memosim explore`
    # stopped at its first such run naming retry.max_rto
    path = explored(tmp_path, fast=0.5)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == (
        f"{path}: explore.retry.fast: expected a chance of 1 (a drawn policy "
        '"rto" makes retry.max_rto: expected a number > ack_delay (0.05, the rto '
        "policy's default), found 0.04), found 0.5"
    )
    own = explored(tmp_path, fast=1.0, own='retry = { policy = "rto", ack_delay = 0.01 }')
    s = load_scenario(own)  # only "fast" is drawn, which every table accepts
    for i in range(5):
        parse_scenario(draw_run(s, 1, i), s.file)


# ---- Ack v3's done ack at the smallest gram sizes ---------------------------
SURE_CODES = [
    (MemoDex.GramSureZero, False),
    (MemoDex.GramSureAuthZero, True),
]
DONE_ACK = {  # (signed, curt) -> bytes: header + 43-byte body (+ vid and signature)
    (False, False): 32 + 43,
    (False, True): 24 + 43,
    (True, False): 32 + 44 + 43 + 88,
    (True, True): 24 + 33 + 43 + 66,
}


def smallest_pair(code: str, signed: bool, curt: bool, link: EchoLink) -> tuple[Any, Any, Tymist]:
    tymist = Tymist(tock=0.03125)
    keys = {who: make_keyage(seed_of(who)) for who in ("a", "b")}
    size = overhead(code, curt) + 1  # one byte of memo per gram: the Sure tag spans 17
    peers = []
    for name in ("a", "b"):
        vid, key = keys[name]
        extra = {"keep": {vid: key}, "vid": vid, "rvids": {"b": keys["b"][0]}} if signed else {}
        peer = LinkedMemoer(
            link=link,
            name=name,
            code=code,
            curt=curt,
            size=size,
            **extra,
        )
        peer.reopen()
        peer.wind(tymist.tymen())
        peers.append(peer)
    return peers[0], peers[1], tymist


def run_until_settled(a: Any, b: Any, tymist: Tymist, limit: float = 30.0) -> None:
    a.service()  # memoit only queues: the service pass rends and tracks
    assert a.engine.flights.flights
    while a.engine.flights.flights and tymist.tyme < limit:
        a.service()
        b.service()
        tymist.tick()
    b.service()


@pytest.mark.parametrize("curt", [False, True])
@pytest.mark.parametrize("code, signed", SURE_CODES)
def test_a_done_ack_larger_than_the_gram_size_is_taken(code: str, signed: bool, curt: bool) -> None:
    # at the smallest gram size the Sure tag spans 17 grams and every ack is
    # larger than a gram: nothing refuses it for that, and Flight.tag() finds
    # the tag across the grams
    sizes: list[int] = []

    def record(gram: bytes, src: str, dst: str) -> bool:
        if src == "b":
            sizes.append(len(gram))
        return False

    a, b, tymist = smallest_pair(code, signed, curt, EchoLink(drop=record))
    a.memoit("tiny grams" * 3, "b")
    run_until_settled(a, b, tymist)
    assert [m for m, _, _ in b.inbox] == ["tiny grams" * 3]
    assert not a.failures and not a.engine.flights.flights  # retired on the done ack
    assert a.stats.dropped.get("ack-memo", 0) == 0
    assert max(sizes) == DONE_ACK[signed, curt] > a.size


@pytest.mark.parametrize("curt", [False, True])
@pytest.mark.parametrize("code, signed", SURE_CODES)
def test_a_path_that_carries_the_grams_but_not_a_done_ack_fails_the_memo(
    code: str, signed: bool, curt: bool
) -> None:
    # a link whose MTU carries datagrams up to the gram size but not Ack v3's
    # done ack (16 bytes longer than v2's): the memo is delivered, its done
    # acks are lost, and the sender reports it failed (never lost silently);
    # docs/acked-delivery.md ("Size") says how large a path must carry
    sizes: list[int] = []

    def mtu(gram: bytes, src: str, dst: str) -> bool:
        if src == "b":
            sizes.append(len(gram))
        return src == "b" and len(gram) >= DONE_ACK[signed, curt]

    link = EchoLink(drop=mtu)
    a, b, tymist = smallest_pair(code, signed, curt, link)
    a.engine.flights.max_tyme = 4.0
    a.memoit("x", "b")
    run_until_settled(a, b, tymist)
    assert [m for m, _, _ in b.inbox] == ["x"]
    assert [reason for *_, reason in a.failures] in (["tries"], ["tyme"])
    assert max(sizes) == DONE_ACK[signed, curt]


class ShoutingMemoer(LinkedMemoer):
    """hio's override point: rend re-renders every memo (here, upper case)."""

    def rend(self, memo: Any, vid: str | None = None) -> list[bytes]:
        return super().rend(memo.upper(), vid)


def test_a_memo_re_rendered_by_a_rend_override_is_retired_on_its_done_ack() -> None:
    # Flight.tag() reads the tag from the grams rend made, which is what the
    # receiver delivers, not from the memo given to memoit
    link = EchoLink()
    tymist = Tymist(tock=0.03125)
    a = ShoutingMemoer(link=link, name="a", code=MemoDex.GramSureZero, size=40)
    b = LinkedMemoer(link=link, name="b", code=MemoDex.GramSureZero)
    for peer in (a, b):
        peer.reopen()
        peer.wind(tymist.tymen())
    a.memoit("quiet words", "b")
    run_until_settled(a, b, tymist)
    assert [m for m, _, _ in b.inbox] == ["QUIET WORDS"]
    assert not a.failures and a.stats.dropped.get("ack-memo", 0) == 0


@pytest.mark.parametrize(
    "given, line",
    [
        # the key the caller gave is named, not the default it ran into
        ({"ackDelay": 70.0}, "retry.ack_delay: expected a number < max_rto (60), found 70.0"),
        (
            {"minRto": 0.02, "maxRto": 0.04},
            "retry.max_rto: expected a number > ack_delay (0.05), found 0.04",
        ),
        (
            {"retry": {"ack_delay": 0.5}, "maxRto": 0.4},
            "retry.max_rto: expected a number > ack_delay (0.5), found 0.4",
        ),
        (
            {"retry": {"max_rto": 0.4}, "ackDelay": 0.5},
            "retry.ack_delay: expected a number < max_rto (0.4), found 0.5",
        ),
        ({"minRto": 90.0}, "retry.min_rto: expected a number <= max_rto (60.0), found 90.0"),
        ({"maxRto": 0.1}, "retry.max_rto: expected a number >= min_rto (0.2), found 0.1"),
    ],
)
def test_a_memoer_retry_conflict_names_the_key_given(given: dict[str, Any], line: str) -> None:
    with pytest.raises(MemoerError) as err:
        Memoer(name="x", **given)
    assert str(err.value) == line


def test_a_memoer_given_the_fast_policy_gets_the_fast_policys_defaults() -> None:
    # RetryPolicy.of built the defaults' policy first (resolving ack_delay and
    # resend_copies for "rto") and then laid retryPolicy="fast" over it, so a
    # Memoer(retryPolicy="fast") held partial acks 0.05 s and sent one copy
    for kwa in ({"retryPolicy": "fast"}, {"retry": {"policy": "rto"}, "retryPolicy": "fast"}):
        retry = Memoer(name="x", **kwa).engine.retry  # type: ignore[arg-type]
        assert (retry.policy, retry.ack_delay, retry.resend_copies) == ("fast", 0.015, 2)
    assert Memoer(name="x", retry={"policy": "fast"}).engine.retry.ack_delay == 0.015
    retry = Memoer(name="x", retryPolicy="fast", ackDelay=0.03).engine.retry
    assert (retry.ack_delay, retry.resend_copies) == (0.03, 2)
    retry = Memoer(name="x", retry={"policy": "fast"}, retryPolicy="rto").engine.retry
    assert (retry.ack_delay, retry.resend_copies) == (0.05, 1)


def test_an_explore_bottleneck_below_one_bit_per_second_is_refused_when_the_file_loads(
    tmp_path: Path,
) -> None:
    # bps draws are whole bits per second: [0.1, 0.4] passed the table's
    # check and every run then drew a bps of 0, which stopped memosim explore
    path = tmp_path / "drawn.toml"
    text = EXPLORED.format(fast=1.0, own="").replace(
        "retry = { p = 1.0, fast = 1.0 }", "rate = { p = 1.0, bps = [0.1, 0.4] }"
    )
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == (
        f"{path}: explore.rate.bps: expected a range [low, high] of bits per second "
        "with 1 <= low <= high, found [0.1, 0.4]"
    )
    path.write_text(text.replace("[0.1, 0.4]", "[1, 1.4]"))
    s = load_scenario(path)
    for i in range(5):
        parse_scenario(draw_run(s, 1, i), s.file)
