"""Each test here exercises a fault of hio 0.7.20 (spec: "Known faults")."""

from __future__ import annotations

import random

from helpers import counter_midder, deliver, make_memoer, seed_of

from memosim import Limits, Tymist, make_keyage
from memosim.core import grams


def test_gram_number_at_or_above_count_is_dropped_not_raised():
    tx = make_memoer(size=38)
    rx = make_memoer()
    g0, g1 = tx.rend("Hello there.")
    forged = grams.split(
        b"Hello there.", code="bAAA", curt=False, size=38, mid=grams.parse(g0).mid
    )[1].replace(b"AAAB", b"AAAF", 1)
    assert deliver(rx, [g0, forged]) == []  # hio: KeyError once 2 grams held
    assert rx.stats.dropped["number"] == 1
    assert deliver(rx, [g1]) == [("Hello there.", "src", None)]


def test_non_utf8_body_is_delivered_as_bytes_not_raised():
    tx = make_memoer()
    rx = make_memoer()
    assert deliver(rx, tx.rend(b"\xff\xfe")) == [(b"\xff\xfe", "src", None)]


def test_random_mutations_never_raise():
    rng = random.Random(7)
    tx = make_memoer(size=80, curt=False)
    txb = make_memoer(size=80, curt=True, midder=counter_midder(10**6))
    rx = make_memoer()
    pool = tx.rend("memo " * 40) + txb.rend("memo " * 40)
    for _ in range(20000):
        gram = bytearray(rng.choice(pool))
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            if op < 0.6 and gram:
                gram[rng.randrange(len(gram))] = rng.randrange(256)
            elif op < 0.8:
                del gram[rng.randrange(len(gram) + 1) :]
            else:
                gram += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        rx.absorb(bytes(gram), "evil")  # must not raise
        rx.serviceRxGrams()
    assert rx.stats.grams_received == 20000
    assert sum(rx.stats.dropped.values()) > 10000


def test_flood_of_unfinished_memos_stays_bounded():
    limits = Limits(max_memos=500, max_memos_per_source=300, max_bytes=200_000)
    rx = make_memoer(limits=limits)
    tx = make_memoer(size=100)
    for i in range(20000):
        rx.absorb(tx.rend("x" * 150)[0], ("10.0.0.1", i % 3))  # zeroth only, never completes
    assert len(rx.rxgs) <= 500 and rx.engine.rx.nbytes <= 200_000
    assert rx.stats.memos_evicted >= 19500
    per_source = {}
    for src in rx.sources.values():
        per_source[src] = per_source.get(src, 0) + 1
    assert max(per_source.values()) <= 300


def test_partial_memos_expire_after_configured_tyme():
    tymist = Tymist()
    rx = make_memoer(limits=Limits(expiry=30.0))
    rx.wind(tymist.tymen())
    tx = make_memoer(size=40)
    g = tx.rend("never finished")
    rx.absorb(g[0], "s")
    assert rx.get_timer() == 30.0
    tymist.tick(29.0)
    rx.serviceTymers()
    assert len(rx.rxgs) == 1
    tymist.tick(1.0)
    rx.serviceTymers()
    assert not rx.rxgs and rx.stats.memos_expired == 1 and rx.get_timer() is None


def test_signed_later_gram_before_zeroth_is_held_and_delivered(signer):
    vid, keep = signer
    tx = make_memoer(code="bAAC", keep=keep, vid=vid, size=170)
    gs = tx.rend("abcdefghij" * 30)
    assert len(gs) > 3
    rx = make_memoer()
    assert deliver(rx, list(reversed(gs))) == [("abcdefghij" * 30, "src", vid)]


def test_forged_early_gram_fails_when_zeroth_arrives(signer):
    vid, keep = signer
    tx = make_memoer(code="bAAC", keep=keep, vid=vid, size=170)
    gs = tx.rend("abcdefghij" * 30)
    forged = bytearray(gs[1])
    forged[100] ^= 1
    rx = make_memoer()
    assert deliver(rx, [bytes(forged), gs[0]]) == []
    assert rx.stats.dropped["signature"] == 1
    assert deliver(rx, gs[1:]) == [("abcdefghij" * 30, "src", vid)]


def test_unsigned_gram_cannot_splice_into_signed_memo(signer):
    vid, keep = signer
    tx = make_memoer(code="bAAC", keep=keep, vid=vid, size=170)
    gs = tx.rend("abcdefghij" * 30)
    mid = grams.parse(gs[0]).mid
    splice = b"bAABAAAB" + mid.encode() + b"EVIL" * 10
    rx = make_memoer()
    for order in ([splice, gs[0]], [gs[0], splice]):
        rx = make_memoer()
        assert deliver(rx, order) == []
        assert rx.stats.dropped["mismatch"] == 1


def test_empty_memo_is_one_gram_and_delivered():
    tx = make_memoer()
    gs = tx.rend("")
    assert len(gs) == 1
    assert deliver(make_memoer(), gs) == [("", "src", None)]


def test_short_binary_memo_delivered_intact_and_count_zero_accepted():
    tx = make_memoer(curt=True)
    assert deliver(make_memoer(), tx.rend("hi")) == [("hi", "src", None)]
    gram = bytearray(tx.rend("hi")[0])
    gram[3:6] = b"\0\0\0"  # hio 0.7.20 puts count 0 on short binary memos
    assert deliver(make_memoer(), [bytes(gram)]) == [("hi", "src", None)]


def test_authic_drops_unsigned(signer):
    rx = make_memoer(authic=True)
    assert deliver(rx, make_memoer().rend("plain")) == []
    assert rx.stats.dropped["unsigned"] == 1
    vid, keep = signer
    signed = make_memoer(code="bAAC", keep=keep, vid=vid).rend("signed")
    assert deliver(rx, signed) == [("signed", "src", vid)]


def test_duplicated_memo_is_delivered_once():
    tx = make_memoer()
    gs = tx.rend("once")
    rx = make_memoer()
    assert deliver(rx, gs + gs) == [("once", "src", None)]
    assert deliver(rx, gs) == []
    assert rx.stats.dropped["duplicate"] == 2 and rx.stats.memos_delivered == 1


def test_bad_signature_dropped_and_counted(signer):
    vid, keep = signer
    g = bytearray(make_memoer(code="bAAC", keep=keep, vid=vid).rend("signed")[0])
    g[-5] ^= 0x01
    rx = make_memoer()
    assert deliver(rx, [bytes(g)]) == []
    assert sum(rx.stats.dropped.values()) == 1


def test_counters_cover_received_dropped_delivered():
    rx = make_memoer()
    deliver(rx, make_memoer().rend("a") + [b"junk"])
    s = rx.stats.as_dict()
    assert s["grams_received"] == 2 and s["memos_delivered"] == 1
    assert s["dropped"] == {"encoding": 1}


def test_signed_zeroth_supersedes_corrupted_unsigned_copy(signer):
    vid, keep = signer
    gs = make_memoer(code="bAAC", curt=True, keep=keep, vid=vid, size=200).rend("x" * 400)
    flipped = bytearray(gs[0])
    flipped[2] ^= 0x02  # bAAC -> bAAA: the gram now parses as an unsigned zeroth gram
    rx = make_memoer()
    assert deliver(rx, [bytes(flipped)]) == []  # held, waiting for later grams that never match
    assert deliver(rx, gs) == [("x" * 400, "src", vid)]
    assert rx.stats.dropped["superseded"] == 1


def test_every_dropped_gram_is_logged_even_when_dropped_after_it_was_held(caplog):
    """hio raises or silently ignores; memosim counts each drop and logs it,
    including drops decided later: a held early gram that fails its check
    when the zeroth gram arrives, and an unsigned one-gram memo superseded by
    a signed zeroth gram of the same mid."""
    vid, keyage = make_keyage(seed_of("logged"))
    keep = {vid: keyage}
    signer = make_memoer(code="bAAC", size=300, keep=keep, vid=vid, midder=counter_midder(5))
    g0, g1, g2 = signer.rend("signed memo " * 40)[:3]
    forged = bytearray(g2)
    forged[-100] ^= 0x01  # body bit: the signature no longer matches
    plain = make_memoer(midder=counter_midder(9))
    signed = make_memoer(code="bAAC", keep=keep, vid=vid, midder=counter_midder(9))
    rng = random.Random(3)
    junk = []
    for _ in range(200):
        gram = bytearray(rng.choice([g0, g1, g2]))
        gram[rng.randrange(len(gram))] ^= rng.randrange(1, 256)
        junk.append(bytes(gram))

    rx = make_memoer(keep=keep)
    caplog.set_level("INFO", logger="memosim")
    deliver(rx, [bytes(forged)])  # held: its zeroth gram has not come yet
    assert sum(rx.stats.dropped.values()) == 0
    deliver(rx, [g0, g1])  # now checked, and dropped
    assert rx.stats.dropped["signature"] == 1
    assert any("held until its zeroth gram" in r.getMessage() for r in caplog.records)
    rx.absorb(plain.rend("same mid")[0], "src")
    rx.absorb(signed.rend("same mid")[0], "src")
    assert rx.stats.dropped["superseded"] == 1
    deliver(rx, junk)

    logged = [r for r in caplog.records if "dropped gram from" in r.getMessage()]
    assert len(logged) == sum(rx.stats.dropped.values()) > 50


def test_one_flooding_source_cannot_crowd_out_another():
    """Per-source bounds: a source flooding zeroth grams of memos it never
    finishes loses its own oldest partial memos; another source's memo, held
    at the same time, still completes."""
    limits = Limits(max_memos_per_source=20, max_bytes_per_source=3_000)
    rx = make_memoer(limits=limits)
    honest = make_memoer(size=100, midder=counter_midder(10**6))
    first, *rest = honest.rend("y" * 300)
    rx.absorb(first, "honest")
    flood = make_memoer(size=100)
    for _ in range(5000):
        rx.absorb(flood.rend("x" * 150)[0], "flooder")
    flooder_bytes = rx.engine.rx._ledgers["flooder"].nbytes
    assert flooder_bytes <= 3_000 and sum(1 for s in rx.sources.values() if s == "flooder") <= 20
    assert deliver(rx, rest, src="honest") == [("y" * 300, "honest", None)]


def test_partial_memos_are_evicted_oldest_first():
    rx = make_memoer(limits=Limits(max_memos=3))
    tx = make_memoer(size=38)
    memos = [tx.rend(f"memo {n} comes in several grams") for n in range(4)]
    for *head, _last in memos:
        for gram in head:
            rx.absorb(gram, "src")  # the fourth memo evicts the first
    assert rx.stats.memos_evicted == 1
    got = deliver(rx, [last for *_, last in memos[1:]])
    assert [memo for memo, _, _ in got] == [f"memo {n} comes in several grams" for n in (1, 2, 3)]
    assert deliver(rx, [memos[0][-1]]) == []  # the evicted memo's grams are gone


def test_held_early_grams_are_bounded_in_bytes():
    """Later grams whose zeroth never comes are held (for reordering), but
    only up to the byte bounds, oldest memo dropped first."""
    rx = make_memoer(limits=Limits(max_bytes=20_000, max_bytes_per_source=20_000))
    tx = make_memoer(size=200)
    for _ in range(2000):
        for later in tx.rend("z" * 1000)[1:]:
            rx.absorb(later, "src")
    assert rx.engine.rx.nbytes <= 20_000
    assert rx.stats.memos_evicted > 1900


def test_e_vids_sign_and_verify_from_keep_only():
    vid, keyage = make_keyage(seed_of("erin"), code="E")
    assert vid.startswith("E")
    tx = make_memoer(code="bAAC", keep={vid: keyage}, vid=vid, size=200)
    gs = tx.rend("signed by an E vid " * 20)
    assert deliver(make_memoer(keep={vid: keyage}), gs) == [
        ("signed by an E vid " * 20, "src", vid)
    ]
    stranger = make_memoer()  # no keep entry: an E vid is not a key, so it cannot verify
    assert deliver(stranger, gs) == []
    assert stranger.stats.dropped["unknown-vid"] >= 1


def _held_bytes_add_up(rx) -> bool:
    rxa = rx.engine.rx
    partials = list(rxa._partials.values())
    per_source: dict = {}
    for partial in partials:
        per_source[partial.src] = per_source.get(partial.src, 0) + partial.nbytes
    return rxa.nbytes == sum(p.nbytes for p in partials) and all(
        rxa._ledgers[src].nbytes == n for src, n in per_source.items()
    )


def test_a_memo_evicted_by_its_own_zeroth_gram_refunds_its_bytes_once():
    """A zeroth gram that pushes its memo over the per-source bound evicts the
    memo while its held early grams are being admitted. The early grams'
    bytes must leave the books once, or the total bound stops holding."""
    tx = make_memoer(size=200)
    rx = make_memoer(limits=Limits(max_bytes_per_source=1400, max_bytes=20_000))
    for _ in range(200):
        zeroth, *later = tx.rend("z" * 1000)
        for gram in later:
            rx.absorb(gram, "s")
        rx.absorb(zeroth, "s")
        assert _held_bytes_add_up(rx) and rx.engine.rx.nbytes >= 0
    for n in range(300):  # then a flood from many sources: the total bound holds
        for gram in tx.rend("q" * 1000)[1:3]:
            rx.absorb(gram, f"src{n}")
    assert _held_bytes_add_up(rx)
    assert sum(p.nbytes for p in rx.engine.rx._partials.values()) <= 20_000


def test_superseding_counts_every_unsigned_gram_it_discards_against_their_source(signer, caplog):
    vid, keep = signer
    plain = make_memoer(size=120, midder=counter_midder(40)).rend("p" * 400)
    signed = make_memoer(code="bAAC", keep=keep, vid=vid, size=300, midder=counter_midder(40)).rend(
        "s" * 400
    )  # the same mid
    rx = make_memoer()
    caplog.set_level("INFO", logger="memosim")
    deliver(rx, plain[:3], src="spoofer")  # an unsigned zeroth and two later grams held
    assert deliver(rx, signed, src="signer") == [("s" * 400, "signer", vid)]
    assert rx.stats.dropped["superseded"] == 3
    lines = [r.getMessage() for r in caplog.records if "superseded" in r.getMessage()]
    assert len(lines) == 3 and all("spoofer" in line for line in lines)
