"""Property tests: round trips over random memos, sizes and codes; mutations."""

from __future__ import annotations

from helpers import counter_midder, deliver, make_memoer, seed_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memosim import Limits, make_keyage
from memosim.core import surewire
from memosim.core.codes import overhead

VID, KEYAGE = make_keyage(seed_of("prop"))
KEEP = {VID: KEYAGE}
ZERO_CODES = ["bAAA", "bAAC", "bAAE", "bAAG"]

memos = st.one_of(
    st.text(max_size=3000),
    st.binary(max_size=3000),
    # generated text is mostly short: repeat a piece to get long memos too
    st.builds(
        lambda piece, times: piece * times,
        st.one_of(st.text(min_size=1, max_size=40), st.binary(min_size=1, max_size=40)),
        st.integers(min_value=2, max_value=80),
    ),
)
# room for body bytes beyond a gram's overhead: small room half the time, so
# that most memos split into several grams
rooms = st.one_of(st.integers(min_value=1, max_value=64), st.integers(min_value=1, max_value=1300))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    memo=memos,
    code=st.sampled_from(ZERO_CODES),
    curt=st.booleans(),
    extra=rooms,
    shuffle=st.randoms(),
)
def test_rend_pick_fuse_round_trip(memo, code, curt, extra, shuffle):
    size = min(overhead(code, curt) + extra, 65535)
    tx = make_memoer(code=code, curt=curt, size=size, keep=KEEP, vid=VID)
    gs = tx.rend(memo)
    assert all(len(g) <= size for g in gs)
    shuffle.shuffle(gs)
    rx = make_memoer(rxbytes=isinstance(memo, bytes))
    signed = code in ("bAAC", "bAAG")
    assert deliver(rx, gs) == [(memo, "src", VID if signed else None)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    memo=memos,
    code=st.sampled_from(ZERO_CODES),
    curt=st.booleans(),
    extra=rooms,
    shuffle=st.randoms(),
)
def test_rend_then_pick_and_fuse_by_hand(memo, code, curt, extra, shuffle):
    """hio's own calls, one by one: pick each gram (the zeroth first, as pick
    needs its vid to verify the rest), then fuse the bodies by number."""
    size = min(overhead(code, curt) + extra, 65535)
    tx = make_memoer(code=code, curt=curt, size=size, keep=KEEP, vid=VID)
    zeroth, *later = tx.rend(memo)
    shuffle.shuffle(later)
    rx = make_memoer(keep=KEEP, rxbytes=isinstance(memo, bytes))
    signed = code in ("bAAC", "bAAG")
    gram = bytearray(zeroth)
    mid, vid, gn, gc = rx.pick(gram)
    assert (vid, gn) == (VID if signed else None, 0)
    bodies = {0: bytes(gram)}
    for raw in later:
        gram = bytearray(raw)
        later_mid, later_vid, num, none = rx.pick(gram)
        assert (later_mid, later_vid, none) == (mid, vid, None)  # no count in later grams
        bodies[num] = bytes(gram)
    count = gc or 1  # hio's count 0 for short binary memos means one gram
    if code in ("bAAE", "bAAG"):  # a Sure memo's bytes carry its tag ahead of it
        payload = b"".join(bodies[i] for i in range(count))
        data = surewire.unwrap(mid, payload)
        assert data is not None
        assert data == (memo if isinstance(memo, bytes) else memo.encode())
    else:
        assert rx.fuse(bodies, count) == memo


@settings(max_examples=200, deadline=None)
@given(
    memo=st.text(min_size=1, max_size=600),
    curt=st.booleans(),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 400)),
)
def test_mutated_signed_grams_never_deliver_a_different_memo(memo, curt, flips, cut):
    tx = make_memoer(code="bAAC", curt=curt, size=220, keep=KEEP, vid=VID, midder=counter_midder(3))
    gs = tx.rend(memo)
    rx = make_memoer()
    mutated = []
    for i, gram in enumerate(gs):
        gram = bytearray(gram)
        for pos, mask in flips:
            if pos % len(gs) == i:
                gram[pos % len(gram)] ^= mask
        if cut is not None and cut % len(gs) == i:
            del gram[cut:]
        mutated.append(bytes(gram))
    got = deliver(rx, mutated + gs)  # mutated copies first, then the originals
    # Unsigned grams carry no integrity check: a flip that turns a signed code
    # into an unsigned one yields an unsigned (vid None) memo. Whatever carries
    # the signer's vid must be the memo sent, and the memo itself must arrive.
    assert any(delivered == memo and vid == VID for delivered, _src, vid in got)
    for delivered, _src, vid in got:
        assert vid is None or (delivered == memo and vid == VID)
    authic = make_memoer(authic=True)
    for delivered, _src, vid in deliver(authic, mutated + gs):
        assert delivered == memo and vid == VID


def _check_books(rx, limits) -> None:
    """Reassembly's byte and count books agree with what it holds, and the
    bounds hold after every gram."""
    rxa = rx.engine.rx
    partials = rxa._partials
    assert rxa.nbytes == sum(p.nbytes for p in partials.values()) >= 0
    assert rxa.nbytes <= limits.max_bytes and len(partials) <= limits.max_memos
    by_source: dict = {}
    for mid, partial in partials.items():
        by_source.setdefault(partial.src, []).append(mid)
    assert set(rxa._ledgers) == set(by_source)
    for src, mids in by_source.items():
        ledger = rxa._ledgers[src]
        assert list(ledger.mids) == [m for m in ledger.mids if m in mids] and set(
            ledger.mids
        ) == set(mids)
        assert ledger.nbytes == sum(partials[m].nbytes for m in mids)
        assert ledger.nbytes <= limits.max_bytes_per_source
        assert len(mids) <= limits.max_memos_per_source
    assert rxa.whole_bytes == sum(len(w[3]) for w in rxa._wholes.values())


_POOL_SENDERS = [
    dict(code="bAAA", size=120),
    dict(code="bAAA", size=120, curt=True),
    dict(code="bAAC", size=250, keep=KEEP, vid=VID),
    dict(code="bAAE", size=120),
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 30), st.integers(0, 2), st.integers(0, 255)),
        min_size=1,
        max_size=120,
    ),
    bounds=st.tuples(
        st.integers(1, 6), st.integers(1, 4), st.integers(200, 3000), st.integers(150, 2000)
    ),
)
def test_reassembly_books_balance_under_any_gram_order(ops, bounds):
    """Grams of eight memos (one-gram and multi-gram, signed and not, some
    corrupted), from three sources, in any order and with repeats, under
    tight bounds: after every gram the books balance and the bounds hold."""
    max_memos, per_source, max_bytes, per_source_bytes = bounds
    limits = Limits(
        max_memos=max_memos,
        max_memos_per_source=per_source,
        max_bytes=max_bytes,
        max_bytes_per_source=per_source_bytes,
    )
    pool = []
    for n in range(8):
        tx = make_memoer(midder=counter_midder(100 + 7 * n), **_POOL_SENDERS[n % 4])
        pool.append(tx.rend(f"m{n} " * (3 + 40 * (n % 3))))
    rx = make_memoer(limits=limits, keep=KEEP)
    for memo_n, gram_n, src_n, flip in ops:
        gram = bytearray(pool[memo_n][gram_n % len(pool[memo_n])])
        if flip > 200:  # now and then a corrupted copy
            gram[flip % len(gram)] ^= 0x04
        rx.absorb(bytes(gram), f"src{src_n}")
        _check_books(rx, limits)
        if flip % 9 == 0:
            rx.serviceRxGrams()
            _check_books(rx, limits)
