"""Review g: acked delivery against a hostile network, at the core Engines.

The seeded attacker of tests/core_attacker.py (drop, duplicate, reorder,
damage any field, splice, replay, inject from a third address, forge acks
with valid checks) runs a bounded block of seeds per mode here; run
thousands outside pytest with `cd tests && ../.venv/bin/python
core_attacker.py --mode forge --seeds 0:2000`. A planted defect shows the
checks can fail.

Then memo substitution: an on-path attacker who sends from the sender's
own address can get its memo delivered under the sender's memo id. Before
Ack v3 the sender then retired its memo on the receiver's genuine done ack,
unsigned or signed; now the done ack names the delivered memo's tag and the
sender reports its memo failed (docs/acked-delivery.md, "Security notes").
"""

from __future__ import annotations

import pytest
from core_attacker import KEEP, MODES, VIDS, Breach, Run, attack
from helpers import counter_midder

from memosim.core import grams
from memosim.core.codes import MemoDex
from memosim.core.engine import Engine

SEEDS = 80  # per mode: about 5 s each on a quiet machine


@pytest.mark.parametrize("mode", MODES)
def test_the_acked_promise_holds_against_the_seeded_attacker(mode: str) -> None:
    sent = delivered = 0
    for seed in range(SEEDS):
        run = attack(seed, mode)
        sent += len(run.order)
        delivered += sum(run.delivered.values())
    assert sent > SEEDS and delivered > sent // 3  # the runs carry real traffic


def test_the_attacker_catches_a_receiver_that_delivers_twice(monkeypatch) -> None:
    real = Engine._deliver_sure

    def twice(self: Engine, mid: str, code: str, now: float | None) -> int:
        got = real(self, mid, code, now)
        if got:
            self.delivered.append(self.delivered[-1])
        return got

    monkeypatch.setattr(Engine, "_deliver_sure", twice)
    with pytest.raises(Breach, match="delivered twice"):
        attack(0, "damage")


def test_the_attacker_catches_a_sender_that_drops_memos_silently(monkeypatch) -> None:
    monkeypatch.setattr(Run, "collect", lambda self: _forget_failures(self))
    with pytest.raises(Breach, match="neither delivered nor failed"):
        for seed in range(SEEDS):  # some seed fails a memo
            attack(seed, "damage")


def _forget_failures(run: Run) -> None:
    for engine in run.engines.values():
        engine.failures.clear()
        for memo, _src, _vid in engine.delivered:
            data = memo.encode() if isinstance(memo, str) else bytes(memo)
            run.delivered[data] += 1
        engine.delivered.clear()


# ---- memo substitution by an on-path attacker that sends as the sender ----------


def _substitute(code: str) -> tuple[Engine, Engine, list[tuple[object, str, object]]]:
    """a sends a Sure memo to b; x, on the path, holds back a's grams, sends
    its own memo under a's memo id from a's address, then lets a's grams
    through. Returns a, b and what b delivered."""
    signed = code == MemoDex.GramSureAuthZero
    a = Engine(
        midder=counter_midder(7),
        code=code,
        size=200,
        keep=KEEP,
        vid=VIDS["a"],
        rvids={"b": VIDS["b"]},
        name="a",
    )
    b = Engine(midder=counter_midder(100), code=code, size=200, keep=KEEP, vid=VIDS["b"])
    x = Engine(  # the attacker renders its own memo under the id it saw
        midder=counter_midder(7), code=code, size=200, keep=KEEP, vid=VIDS["x"], name="x"
    )
    now = 0.0
    a.send_memo(b"pay alice 10" * 20, "b", vid=VIDS["a"] if signed else None, now=now)
    held = a.datagrams_to_send()  # the attacker holds these back
    count = grams.parse(held[0][0]).count
    forged = b"pay mallory 99" * 17
    x.send_memo(forged, "b", vid=VIDS["x"] if signed else None, rvid=VIDS["b"])
    fake = x.datagrams_to_send()
    assert grams.parse(fake[0][0]).mid == grams.parse(held[0][0]).mid
    assert grams.parse(fake[0][0]).count == count  # the same count: acks of it match
    got: list[tuple[object, str, object]] = []
    for data, _dst in fake + held:
        b.receive_datagram(data, "a", now)  # spoofed from a, then a's own
    for _ in range(200):  # run to a's maxTyme and past it
        now += 0.5
        b.fuse_ready(now)
        b.handle_timer(now)
        for data, _dst in b.datagrams_to_send():
            a.receive_datagram(data, "b", now)
        a.handle_timer(now)
        for data, _dst in a.datagrams_to_send():
            b.receive_datagram(data, "a", now)
        got += list(b.delivered)
        b.delivered.clear()
    return a, b, got


@pytest.mark.parametrize("code", [MemoDex.GramSureZero, MemoDex.GramSureAuthZero])
def test_an_attacker_sending_as_the_sender_cannot_make_it_lose_its_memo_silently(
    code: str,
) -> None:
    """The tag and the check are computed from public data, and a signature
    binds a memo to its signer, not to the id it was first sent under. So the
    receiver delivers the attacker's memo as from a (signed: with the
    attacker's vid, which the application sees). Its done ack names the
    attacker's tag, which a drops ("ack-memo"): a's memo ends in failures."""
    a, _b, got = _substitute(code)
    signed = code == MemoDex.GramSureAuthZero
    assert got == [("pay mallory 99" * 17, "a", VIDS["x"] if signed else None)]
    assert a.stats.dropped["ack-memo"] >= 1
    assert [(memo, reason) for memo, _dst, _vid, reason in a.failures] == [
        (b"pay alice 10" * 20, "tyme")
    ]  # reported, not lost
