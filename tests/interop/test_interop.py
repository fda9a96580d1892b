"""memosim <-> hio 0.7.20 interoperability over UDP loopback.

hio runs unmodified in its own venv (see conftest.py, hio_driver.py); memosim
runs in this process. The matrix is both directions x four gram encodings
(text / binary headers, unsigned bAAA / signed bAAC) x memo cases (one gram,
many grams at size 1240, many small grams at size 80, non-ASCII text whose
UTF-8 characters straddle gram boundaries, the spec's size-38 examples, very
short memos). Each direction and encoding is one exchange of all its memos
(one hio process), cached per module; each memo case is its own test.

Besides delivery, memosim's rend is compared with hio's rend byte for byte
with the same memo id injected on both sides (hio's makeMID runs unchanged;
the driver only fixes the uuid bytes it encodes).
"""

from __future__ import annotations

import base64
import math
import time
from dataclasses import dataclass, field

import pytest

from .keymat import KeyMat

pytestmark = pytest.mark.interop

HOST = "127.0.0.1"
FIXED_MID = bytes.fromhex("00112233445566778899aabbccddeeff")  # raw 16 bytes of the mid


# ------------------------------------------------------------ memo cases


def mixed_text(n: int, tag: str) -> str:
    """n characters of mixed ASCII text: words, digits, punctuation, whitespace."""
    parts = [
        f"[{tag}] ",
        "Lorem ipsum dolor sit amet, ",
        "0123456789 ",
        "!#$%&()*+,-./:;<=>?@",
        "[\\]^_`{|}~ ",
        "\tTabbed\tfields\t",
        "line one\nline two\r\n",
        "QUICK brown fox; ",
        '{"json": [1, 2.5, null, true]} ',
        "CamelCaseWords_and_snake_case ",
    ]
    out, i = [], 0
    while sum(map(len, out)) < n:
        out.append(parts[i % len(parts)])
        i += 1
    return "".join(out)[:n]


def nonascii_text(n_chars: int, tag: str) -> str:
    """Text of 1- to 4-byte UTF-8 characters, so gram cuts fall inside them."""
    pieces = f"[{tag}] Grüße aus Köln — ünïcödé ✓ 世界你好 🚀🛰️ ελληνικά русский عربى ½€ "
    return (pieces * (n_chars // len(pieces) + 1))[:n_chars]


@dataclass(frozen=True)
class MemoCase:
    id: str
    memo: str
    size: int
    signer: str = "alice"  # which key signs it when the encoding is signed
    only_signed: bool = False


MEMO_CASES = [
    MemoCase("hello", "Hello", 1240),
    MemoCase("mixed3000", mixed_text(3000, "s1240"), 1240),
    MemoCase("mixed20k", mixed_text(20000, "big"), 1240),
    MemoCase("mixed3000_s80", mixed_text(3000, "s80"), 80),
    MemoCase("nonascii", nonascii_text(1500, "s1240"), 1240),
    MemoCase("nonascii_s80", nonascii_text(400, "s80"), 80),
    MemoCase("hello_there_s38", "Hello there.", 38),
    MemoCase("how_ya_doing_s38", "How ya doing?", 38),
    # shorter than 9 bytes: hio's binary sender puts count 0 on these
    MemoCase("short1", "A", 1240),
    MemoCase("short2", "Hi", 1240),
    MemoCase("short7", "1234567", 1240),
    MemoCase("short8", "12345678", 1240),
    MemoCase("short9", "123456789", 1240),
    # signed by a 'D' vid, whose verkey the receiver looks up in its keep
    MemoCase("dvid", "Signed under a D vid: " + mixed_text(1500, "dvid"), 1240, "dave", True),
]
CASES_BY_ID = {c.id: c for c in MEMO_CASES}


@dataclass(frozen=True)
class Enc:
    id: str
    code: str
    curt: bool

    @property
    def signed(self) -> bool:
        return self.code == "bAAC"


ENCODINGS = [
    Enc("text", "bAAA", False),
    Enc("binary", "bAAA", True),
    Enc("signed_text", "bAAC", False),
    Enc("signed_binary", "bAAC", True),
]
ENC_BY_ID = {e.id: e for e in ENCODINGS}


def matrix():
    return [
        pytest.param(e.id, c.id, id=f"{e.id}-{c.id}")
        for e in ENCODINGS
        for c in MEMO_CASES
        if e.signed or not c.only_signed
    ]


def cases_for(enc: Enc) -> list[MemoCase]:
    return [c for c in MEMO_CASES if enc.signed or not c.only_signed]


# ------------------------------------------------------------ helpers


def short(memo) -> str:
    text = repr(memo)
    return text if len(text) <= 70 else text[:60] + f"...<{len(memo)}>"


def summary(entries) -> str:
    return "\n".join(f"  {short(m)} src={s} vid={v}" for m, s, v in entries) or "  (none)"


def nearest(memo: str, received) -> str:
    """Describe the received memo closest to ``memo`` (longest common prefix)."""
    best, best_n = None, -1
    for m, _s, _v in received:
        if not isinstance(m, str | bytes):
            continue
        n = next((i for i, (a, b) in enumerate(zip(m, memo)) if a != b), min(len(m), len(memo)))
        if n > best_n:
            best, best_n = m, n
    if best is None or best_n < min(8, len(memo)):
        return ""
    return (
        f"\n  nearest received: {short(best)} ({type(best).__name__}, len {len(best)} vs "
        f"{len(memo)}), first difference at index {best_n}: "
        f"got {best[best_n : best_n + 12]!r}, want {memo[best_n : best_n + 12]!r}"
    )


def signer_of(case: MemoCase, keys: dict[str, KeyMat]) -> KeyMat:
    return keys[case.signer]


def memosim_keep(api, keys: dict[str, KeyMat]) -> dict:
    _, Keyage = api
    return {k.vid: Keyage(k.qvk, k.qss) for k in keys.values()}


def hio_keep(keys: dict[str, KeyMat]) -> dict:
    keep = {}
    for k in keys.values():
        keep.update(k.keep_json())
    return keep


def drain(peer, deadline: float) -> None:
    """Service a memosim peer until everything queued has left (bounded)."""
    while True:
        peer.service()
        txbs = getattr(peer, "txbs", (b"", None))
        if not peer.txms and not peer.txgs and (txbs is None or txbs[1] is None):
            return
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"memosim could not send everything: {len(peer.txms)} memos, "
                f"{len(peer.txgs)} grams left"
            )
        time.sleep(0.0005)


@dataclass
class Exchange:
    """What one direction x encoding exchange produced."""

    sender_ha: tuple | None = None
    received: list = field(default_factory=list)  # (memo, src, vid)
    send_errors: dict = field(default_factory=dict)  # case id -> text
    rx_errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def report(self) -> str:
        lines = [f"received:\n{summary(self.received)}"]
        if self.send_errors:
            lines.append(f"send errors: {self.send_errors}")
        if self.rx_errors:
            lines.append(f"receive errors: {self.rx_errors[:5]}")
        lines += self.notes
        return "\n".join(lines)


def memosim_to_hio(hio, api, enc: Enc, keys: dict[str, KeyMat]) -> Exchange:
    PeerMemoer, _ = api
    cases = cases_for(enc)
    ex = Exchange()
    lp, hio_ha = hio.start_recv(len(cases), timeout=6.0, keep=hio_keep(keys))
    peer = PeerMemoer(
        name="memosim-tx",
        host=HOST,
        port=0,
        code=enc.code,
        curt=enc.curt,
        size=cases[0].size,
        keep=memosim_keep(api, keys),
        vid=keys["alice"].vid if enc.signed else None,
    )
    try:
        assert peer.reopen(), "memosim peer could not bind"
        ex.sender_ha = tuple(peer.ha)
        deadline = time.monotonic() + 10.0
        for case in cases:
            try:
                peer.size = case.size
                vid = signer_of(case, keys).vid if enc.signed else None
                peer.memoit(case.memo, hio_ha, vid)
                drain(peer, deadline)
            except Exception as err:  # recorded, reported by that case's test
                ex.send_errors[case.id] = f"{type(err).__name__}: {err}"
                peer.txms.clear()
                peer.txgs.clear()
    finally:
        peer.close()
    res = hio.finish_recv(lp, hio_ha)
    ex.received = res.memos
    ex.rx_errors = res.errors
    ex.notes.append(f"hio recv: done={res.done} rc={res.rc}")
    return ex


def hio_to_memosim(
    hio,
    api,
    enc: Enc,
    keys: dict[str, KeyMat],
    *,
    authic=False,
    items=None,
    expect=None,
    linger=0.0,
) -> Exchange:
    PeerMemoer, _ = api
    if items is None:
        items = [
            {"memo": c.memo, "size": c.size, "vid": signer_of(c, keys).vid if enc.signed else None}
            for c in cases_for(enc)
        ]
    expect = len(items) if expect is None else expect
    ex = Exchange()
    peer = PeerMemoer(
        name="memosim-rx", host=HOST, port=0, keep=memosim_keep(api, keys), authic=authic
    )
    try:
        assert peer.reopen(), "memosim peer could not bind"
        lp, hio_ha = hio.start_send(
            tuple(peer.ha),
            items,
            code=enc.code,
            curt=enc.curt,
            vid=keys["alice"].vid if enc.signed else None,
            keep=hio_keep(keys),
        )
        ex.sender_ha = hio_ha
        deadline = time.monotonic() + 10.0
        exited_at = None
        while True:
            try:
                peer.service()
            except Exception as err:  # memosim must never raise on received grams
                ex.rx_errors.append(f"{type(err).__name__}: {err}")
            now = time.monotonic()
            if exited_at is None and lp.proc.poll() is not None:
                exited_at = now
            if exited_at is not None:
                waited = now - exited_at
                if len(peer.inbox) >= expect and waited >= linger:
                    break  # all there, sender gone
                if waited >= max(linger, 1.0):
                    break  # sender gone for a while, stop waiting for the rest
            if now >= deadline:
                ex.notes.append("memosim receive loop hit its 10 s bound")
                break
            time.sleep(0.0005)
        res = hio.finish_send(lp, hio_ha)
        ex.received = [(m, tuple(s) if s is not None else None, v) for m, s, v in peer.inbox]
        if res.rc != 0 or res.errors:
            ex.notes.append(f"hio send rc={res.rc} errors={res.errors} stderr={lp.stderr[-1500:]}")
        ex.notes.append(f"hio sent: {res.sent}")
        stats = getattr(peer, "stats", None)
        if stats is not None:
            ex.notes.append(f"memosim stats: {stats!r}"[:1500])
    finally:
        peer.close()
    return ex


def check_delivery(ex: Exchange, case: MemoCase, want_src, want_vid, direction: str) -> None:
    assert case.id not in ex.send_errors, (
        f"{direction}: memosim raised while sending {case.id}: {ex.send_errors[case.id]}"
    )
    got = [e for e in ex.received if e[0] == case.memo]
    if len(got) != 1:
        pytest.fail(
            f"{direction}: memo {case.id} {short(case.memo)} delivered {len(got)} times, "
            f"want exactly once{nearest(case.memo, ex.received)}\n{ex.report()}",
            pytrace=False,
        )
    memo, src, vid = got[0]
    assert src == tuple(want_src), f"{direction}: {case.id} src {src} != sender {want_src}"
    assert vid == want_vid, f"{direction}: {case.id} vid {vid!r} != {want_vid!r}"
    assert not ex.rx_errors, f"{direction}: receiver raised: {ex.rx_errors[:5]}"


@pytest.fixture(scope="module")
def keys(alice, dave) -> dict[str, KeyMat]:
    return {"alice": alice, "dave": dave}


@pytest.fixture(scope="module")
def exchanges(hio, memosim_api, keys):
    """Lazily run and cache one exchange per (direction, encoding)."""
    cache: dict = {}

    def get(direction: str, enc_id: str) -> Exchange:
        key = (direction, enc_id)
        if key not in cache:
            enc = ENC_BY_ID[enc_id]
            fn = memosim_to_hio if direction == "m2h" else hio_to_memosim
            try:
                cache[key] = fn(hio, memosim_api, enc, keys)
            except Exception as err:
                cache[key] = err
        result = cache[key]
        if isinstance(result, Exception):
            raise AssertionError(
                f"exchange {direction} {enc_id} failed: {type(result).__name__}: {result}"
            ) from result
        return result

    return get


# ------------------------------------------------------------ harness (hio only)


def test_hio_version_and_keys(hio_info, alice, dave):
    """The venv runs hio 0.7.20 and its encoders agree with keymat's strings."""
    assert hio_info["version"]["hio"] == "0.7.20"
    got = {k["seed"]: k for k in hio_info["keys"]}
    a = got[alice.seed.hex()]
    assert (a["vid"], a["qvk"], a["qss"]) == (alice.vid, alice.qvk, alice.qss)
    d = got[dave.seed.hex()]
    assert (d["qvk"], d["qss"]) == (dave.qvk, dave.qss)
    assert dave.vid == "D" + d["vid"][1:]


def test_harness_hio_to_hio(hio, alice, dave):
    """The driver's send and recv modes work between two hio peers."""
    keep = {**alice.keep_json(), **dave.keep_json()}
    lp, rx_ha = hio.start_recv(3, timeout=5.0, keep=keep)
    items = [
        {"memo": "plain text", "code": "bAAA", "curt": False, "size": 1240, "vid": None},
        {
            "memo": mixed_text(900, "h2h"),
            "code": "bAAC",
            "curt": True,
            "size": 200,
            "vid": alice.vid,
        },
        {"memo": "dave says hi", "code": "bAAC", "curt": False, "size": 1240, "vid": dave.vid},
    ]
    slp, tx_ha = hio.start_send(rx_ha, items, keep=keep)
    sres = hio.finish_send(slp, tx_ha)
    rres = hio.finish_recv(lp, rx_ha)
    assert sres.rc == 0 and not sres.errors, slp.describe()
    assert rres.rc == 0 and not rres.errors, lp.describe()
    assert sorted(rres.memos) == sorted(
        [
            ("plain text", tx_ha, None),
            (items[1]["memo"], tx_ha, alice.vid),
            ("dave says hi", tx_ha, dave.vid),
        ]
    )


def test_hio_spec_facts(hio):
    """The spec's size-38 examples, as hio 0.7.20 renders them."""
    out = hio.rend(
        [
            {"memo": "Hello there.", "size": 38, "mid": FIXED_MID.hex()},
            {"memo": "How ya doing?", "size": 38, "mid": FIXED_MID.hex()},
        ]
    )
    assert [parse_gram(g)["body"] for g in out[0]["grams"]] == [b"Hello ", b"there."]
    assert [parse_gram(g)["body"] for g in out[1]["grams"]] == [b"How ya", b" doing", b"?"]
    # the injected raw mid comes out in hio's own encoding
    assert parse_gram(out[0]["grams"][0])["mid"] == hio_mid(FIXED_MID)


def test_hio_binary_count_zero_on_wire(hio):
    """hio 0.7.20 fault: binary unsigned memos of at most 8 bytes get count 0."""
    memos = ["A", "1234567", "12345678", "123456789"]
    out = hio.rend([{"memo": m, "curt": True, "size": 1240} for m in memos])
    necks = [parse_gram(o["grams"][0])["neck"] for o in out]
    assert necks == [0, 0, 0, 1]


# ------------------------------------------------------------ delivery matrix


@pytest.mark.parametrize("enc_id,case_id", matrix())
def test_memosim_to_hio(exchanges, keys, enc_id, case_id):
    enc, case = ENC_BY_ID[enc_id], CASES_BY_ID[case_id]
    ex = exchanges("m2h", enc_id)
    want_vid = signer_of(case, keys).vid if enc.signed else None
    check_delivery(ex, case, ex.sender_ha, want_vid, "memosim -> hio")


@pytest.mark.parametrize("enc_id,case_id", matrix())
def test_hio_to_memosim(exchanges, keys, enc_id, case_id):
    enc, case = ENC_BY_ID[enc_id], CASES_BY_ID[case_id]
    ex = exchanges("h2m", enc_id)
    want_vid = signer_of(case, keys).vid if enc.signed else None
    check_delivery(ex, case, ex.sender_ha, want_vid, "hio -> memosim")


@pytest.mark.parametrize("case_id", ["short1", "short2", "short7", "short8"])
def test_hio_count_zero_binary_memos_arrive_intact(exchanges, case_id):
    """hio sends count 0 for binary memos <= 8 bytes; memosim must still
    deliver them whole (spec: a zeroth gram with count 0 is a one-gram memo)."""
    case = CASES_BY_ID[case_id]
    ex = exchanges("h2m", "binary")
    check_delivery(ex, case, ex.sender_ha, None, "hio -> memosim (count 0)")


def test_hio_authic_receiver_takes_signed_memosim_memos(hio, memosim_api, keys):
    """An authic hio receiver drops memosim's unsigned memo, keeps the signed."""
    PeerMemoer, _ = memosim_api
    lp, hio_ha = hio.start_recv(1, timeout=5.0, authic=True)
    unsigned = PeerMemoer(name="m-unsigned", host=HOST, port=0, code="bAAA")
    signed = PeerMemoer(
        name="m-signed",
        host=HOST,
        port=0,
        code="bAAC",
        curt=True,
        keep=memosim_keep(memosim_api, keys),
        vid=keys["alice"].vid,
    )
    try:
        assert unsigned.reopen() and signed.reopen()
        deadline = time.monotonic() + 5.0
        unsigned.memoit("unsigned: must be dropped", hio_ha)
        drain(unsigned, deadline)
        signed.memoit("signed: must arrive", hio_ha)
        drain(signed, deadline)
        res = hio.finish_recv(lp, hio_ha)
        assert res.memos == [("signed: must arrive", tuple(signed.ha), keys["alice"].vid)], (
            lp.describe()
        )
    finally:
        unsigned.close()
        signed.close()


def test_memosim_authic_receiver_takes_signed_hio_memos(hio, memosim_api, keys):
    """An authic memosim receiver drops hio's unsigned memo, keeps the signed."""
    alice = keys["alice"]
    items = [
        {
            "memo": "unsigned: must be dropped",
            "code": "bAAA",
            "curt": False,
            "size": 1240,
            "vid": None,
        },
        {
            "memo": "signed: must arrive",
            "code": "bAAC",
            "curt": False,
            "size": 1240,
            "vid": alice.vid,
        },
    ]
    ex = hio_to_memosim(
        hio, memosim_api, ENC_BY_ID["text"], keys, authic=True, items=items, expect=1, linger=0.3
    )
    assert ex.received == [("signed: must arrive", ex.sender_ha, alice.vid)], ex.report()
    assert not ex.rx_errors, ex.rx_errors


# ------------------------------------------------------------ rend vs hio rend

TEXT_SIZES = {
    "bAAA": (4, 4, 24, 0, 0),
    "bAAB": (4, 4, 24, 0, 0),
    "bAAC": (4, 4, 24, 44, 88),
    "bAAD": (4, 4, 24, 0, 88),
}
PAIRS = {"bAAA": "bAAB", "bAAC": "bAAD"}


def hio_mid(raw: bytes) -> str:
    """The spec's mid text for 16 raw bytes: '0A' + b64url(b'\\0\\0' + raw)[2:]."""
    return "0A" + base64.urlsafe_b64encode(b"\x00\x00" + raw).decode()[2:]


def b64_int(text: bytes) -> int:
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    n = 0
    for ch in text:
        n = n * 64 + alphabet.index(ch)
    return n


def parse_gram(gram: bytes) -> dict:
    """Split one gram into its fields, straight from the spec's tables."""
    sextet = gram[0] >> 2
    if sextet == 0o30:
        code = gram[:4].decode()
        bz, nz, mz, vz, az = TEXT_SIZES[code]
        neck = b64_int(gram[bz : bz + nz])
        mid = gram[bz + nz : bz + nz + mz].decode()
        vid = gram[bz + nz + mz : bz + nz + mz + vz].decode() or None
        curt = False
    elif sextet == 0o33:
        code = base64.urlsafe_b64encode(gram[:3]).decode()
        bz, nz, mz, vz, az = (3 * x // 4 for x in TEXT_SIZES[code])
        neck = int.from_bytes(gram[bz : bz + nz], "big")
        mid = base64.urlsafe_b64encode(gram[bz + nz : bz + nz + mz]).decode()
        rawvid = gram[bz + nz + mz : bz + nz + mz + vz]
        vid = base64.urlsafe_b64encode(rawvid).decode() if rawvid else None
        curt = True
    else:
        raise ValueError(f"not a gram: first sextet {sextet:o}")
    head = bz + nz + mz + vz
    body = gram[head : len(gram) - az]
    return {
        "code": code,
        "neck": neck,
        "mid": mid,
        "vid": vid,
        "body": body,
        "sig": gram[len(gram) - az :] if az else b"",
        "head": head,
        "curt": curt,
        "neck_span": (bz, bz + nz),
    }


def rend_cases() -> list[tuple[str, str]]:
    return [(e.id, c.id) for e in ENCODINGS for c in MEMO_CASES if e.signed or not c.only_signed]


@pytest.fixture(scope="module")
def hio_rends(hio, keys):
    """hio's rend of every (encoding, memo case), with FIXED_MID injected."""
    pairs = rend_cases()
    cases = []
    for enc_id, case_id in pairs:
        enc, case = ENC_BY_ID[enc_id], CASES_BY_ID[case_id]
        signer = signer_of(case, keys)
        cases.append(
            {
                "memo": case.memo,
                "code": enc.code,
                "curt": enc.curt,
                "size": case.size,
                "vid": signer.vid if enc.signed else None,
                "keep": hio_keep(keys) if enc.signed else None,
                "mid": FIXED_MID.hex(),
            }
        )
    return dict(zip(pairs, hio.rend(cases)))


def memosim_rend(api, keys, enc: Enc, case: MemoCase) -> tuple[list[bytes], int]:
    PeerMemoer, _ = api
    vid = signer_of(case, keys).vid if enc.signed else None
    peer = PeerMemoer(
        name="memosim-rend",
        host=HOST,
        port=0,
        code=enc.code,
        curt=enc.curt,
        size=case.size,
        keep=memosim_keep(api, keys),
        vid=vid,
    )
    try:
        peer.midder = lambda: FIXED_MID
        return [bytes(g) for g in peer.rend(case.memo, vid)], peer.size
    finally:
        peer.close()


@pytest.mark.parametrize(
    "case_id,bodies",
    [
        ("hello_there_s38", [b"Hello ", b"there."]),
        ("how_ya_doing_s38", [b"How ya", b" doing", b"?"]),
    ],
)
def test_spec_facts_memosim_rend(memosim_api, keys, hio_rends, case_id, bodies):
    """Spec facts at size 38, text headers: memosim's bodies, and its grams are
    hio's grams byte for byte (same injected mid)."""
    case = CASES_BY_ID[case_id]
    grams, _ = memosim_rend(memosim_api, keys, ENC_BY_ID["text"], case)
    assert [parse_gram(g)["body"] for g in grams] == bodies
    assert grams == hio_rends[("text", case_id)]["grams"]


@pytest.mark.parametrize("enc_id,case_id", [pytest.param(*p, id="-".join(p)) for p in rend_cases()])
def test_rend_matches_hio(memosim_api, keys, hio_rends, enc_id, case_id):
    """memosim's rend against hio's rend with the same mid.

    Text headers: identical bytes. Binary headers: identical bytes for
    one-gram memos, except that where hio writes count 0 (unsigned memos of
    at most 8 bytes) memosim writes 1. Multi-gram binary memos differ by
    design (memosim uses the true binary overhead for later grams): there the
    codes, mid, vid and zeroth body must match hio's, memosim's bodies must
    join to the memo, its grams be full-size but the last, and its count be
    its number of grams.
    """
    enc, case = ENC_BY_ID[enc_id], CASES_BY_ID[case_id]
    hio_out = hio_rends[(enc_id, case_id)]
    assert "grams" in hio_out, f"hio rend failed: {hio_out}"
    hgrams = hio_out["grams"]
    mgrams, msize = memosim_rend(memosim_api, keys, enc, case)
    assert msize == hio_out["size"], f"effective size: memosim {msize}, hio {hio_out['size']}"
    hp = [parse_gram(g) for g in hgrams]
    mp = [parse_gram(g) for g in mgrams]
    memo_bytes = case.memo.encode()

    if not enc.curt:
        if mgrams != hgrams:
            diff = next(
                (i for i, (a, b) in enumerate(zip(mgrams, hgrams)) if a != b),
                min(len(mgrams), len(hgrams)),
            )
            pytest.fail(
                f"rend differs from hio: memosim {len(mgrams)} grams, hio {len(hgrams)}; "
                f"first difference in gram {diff}:\n"
                f"  memosim {mgrams[diff][:120] if diff < len(mgrams) else None!r}\n"
                f"  hio     {hgrams[diff][:120] if diff < len(hgrams) else None!r}"
            )
        return

    if len(hgrams) == 1 and hp[0]["neck"] == 0:
        # hio's count-0 fault: memosim must write count 1, all else identical
        lo, hi = hp[0]["neck_span"]
        assert len(mgrams) == 1, f"memosim made {len(mgrams)} grams for {len(memo_bytes)} bytes"
        assert mp[0]["neck"] == 1
        if not enc.signed:
            assert mgrams[0] == hgrams[0][:lo] + (1).to_bytes(3, "big") + hgrams[0][hi:]
        return
    if len(hgrams) == 1:
        assert mgrams == hgrams
        return

    # multi-gram binary
    zcode, ncode = enc.code, PAIRS[enc.code]
    assert [p["code"] for p in mp] == [zcode] + [ncode] * (len(mp) - 1)
    assert {p["mid"] for p in mp} == {hp[0]["mid"]} == {hio_mid(FIXED_MID)}
    assert mp[0]["vid"] == hp[0]["vid"]
    assert all(p["vid"] is None for p in mp[1:])
    assert mp[0]["body"] == hp[0]["body"], "zeroth gram body differs from hio's"
    assert b"".join(p["body"] for p in mp) == memo_bytes
    assert mp[0]["neck"] == len(mp), f"count {mp[0]['neck']} but {len(mp)} grams"
    assert [p["neck"] for p in mp[1:]] == list(range(1, len(mp)))
    assert all(len(g) == msize for g in mgrams[:-1]), [len(g) for g in mgrams]
    assert len(mgrams[-1]) <= msize
    # the spec's count formula with true binary overheads
    zoz = 3 * sum(TEXT_SIZES[zcode]) // 4
    noz = 3 * sum(TEXT_SIZES[ncode]) // 4
    zbz, nbz = msize - zoz, msize - noz
    assert len(mp) == math.ceil((len(memo_bytes) + nbz - zbz) / nbz)


HIO_CONSTANTS = r"""
import dataclasses, json
from hio.core.udp.peermemoing import PeerMemoer as P
print(json.dumps({
    "Version": list(P.Version), "Codex": dataclasses.asdict(P.Codex), "Codes": P.Codes,
    "Names": P.Names,
    "Sodex": dataclasses.asdict(P.Audex),  # hio's code calls it Audex; its doc says Sodex
    "Zedex": dataclasses.asdict(P.Zedex), "Pairs": P.Pairs,
    "Sizes": {code: list(sizes) for code, sizes in P.Sizes.items()},
    "MaxMemoSize": P.MaxMemoSize, "MaxGramCount": P.MaxGramCount,
    "MaxGramSize": P.MaxGramSize, "BufSize": P.BufSize, "Tymeout": P.Tymeout,
}))
"""


def test_class_constants_are_hios(hio_python, memosim_api):
    import dataclasses
    import json
    import subprocess

    out = subprocess.run(
        [str(hio_python), "-c", HIO_CONSTANTS],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    theirs = json.loads(out)
    PeerMemoer, _ = memosim_api
    ours = {
        "Version": list(PeerMemoer.Version),
        "Codex": dataclasses.asdict(PeerMemoer.Codex),
        "Codes": dict(PeerMemoer.Codes),
        "Names": dict(PeerMemoer.Names),
        "Sodex": dataclasses.asdict(PeerMemoer.Sodex),
        "Zedex": dataclasses.asdict(PeerMemoer.Zedex),
        "Pairs": dict(PeerMemoer.Pairs),
        "Sizes": {code: list(sizes) for code, sizes in PeerMemoer.Sizes.items()},
        "MaxMemoSize": PeerMemoer.MaxMemoSize,
        "MaxGramCount": PeerMemoer.MaxGramCount,
        "MaxGramSize": PeerMemoer.MaxGramSize,
        "BufSize": PeerMemoer.BufSize,
        "Tymeout": PeerMemoer.Tymeout,
    }
    assert ours == theirs
    assert PeerMemoer.Audex == PeerMemoer.Sodex
