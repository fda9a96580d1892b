"""hio's by-hand codec calls on a Memoer: rend, pick, verify, sign, fuse, wiff, makeMID.

hio lets an application split, check and join grams itself, outside the
service loop. memosim's service loop goes through the engine instead; these
methods keep hio's names, signatures and errors (MemoerError, and
MemoerVerifyError for a signature that does not verify) for code that
calls them. Memoer (memosim/memoing.py) mixes HandCodec in.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping

from .core import b64, grams
from .core.aliases import Memo
from .core.engine import Engine, MemoerError, MemoerVerifyError
from .core.keys import KeyMaterialError
from .mids import os_midder

__all__ = ["HandCodec"]

_class_midder: list[Callable[[], bytes]] = []  # made on the first class-level makeMID


def _mid_on_class(code: str = b64.MID_CODE) -> str:
    """A memo id from OS randomness, for makeMID called on the class."""
    if not _class_midder:
        _class_midder.append(os_midder())
    return _qualified_mid(_class_midder[0](), code)


def _qualified_mid(raw: bytes, code: str) -> str:
    try:
        return b64.qualify(raw, code)
    except b64.B64Error as ex:  # hio raises ValueError for a code of the wrong size
        raise ValueError(f"memo id code {code!r} does not fit {len(raw)} raw bytes") from ex


class _MakeMID:
    """makeMID(code="0A"): a new 24-char memo id, callable on the class or an instance.

    hio's makeMID is a classmethod drawing from uuid1. Here, called on an
    instance it draws from that Memoer's .midder (a seeded stream in
    simulation, so runs stay repeatable); called on the class, where there is
    no midder, it draws from the OS RNG (memosim/mids.py), never uuid1.
    """

    def __get__(self, obj: HandCodec | None, owner: type | None = None) -> Callable[..., str]:
        if obj is None:
            return _mid_on_class
        midder = obj.engine.midder
        return lambda code=b64.MID_CODE: _qualified_mid(midder(), code)


class HandCodec:
    """hio's by-hand codec calls, over `self.engine`."""

    engine: Engine
    _pickedVids: OrderedDict[str, str]

    # ---- by-hand codec calls, as in hio ---------------------------------
    def wiff(self, gram: bytes) -> bool:
        """True when gram's header is binary, False when text; raises otherwise."""
        try:
            return grams.wiff(gram)
        except grams.GramError as ex:
            raise MemoerError(str(ex)) from ex

    def verify(self, vid: str | bytes, sig: str | bytes, ser: str | bytes) -> bool:
        """True when qualified sig (text or binary) is vid's signature on ser;
        else raises MemoerVerifyError, as hio does."""
        vid = vid.decode() if isinstance(vid, bytes) else vid
        ser = ser.encode() if isinstance(ser, str) else ser
        sig = sig.encode() if isinstance(sig, str) else sig
        try:
            raw = b64.unqualify(sig, (b64.SIG_CODE,))[0] if len(sig) == 88 else None
        except b64.B64Error:
            raw = None
        if raw is None and len(sig) == 66 and sig[:2] == b"\xd0\x10":
            raw = sig[2:]
        if raw is None or len(raw) != 64:
            raise MemoerVerifyError("undecodable signature")
        engine = self.engine
        reason = engine.verifier.check(engine.keep, vid, raw, ser)
        if reason is not None:
            raise MemoerVerifyError(f"{reason}: signature of vid {vid[:12]}... does not verify")
        return True

    def pick(self, gram: bytearray) -> tuple[str, str | None, int, int | None]:
        """Parse a gram, strip its header and signature in place, verify it.

        Returns (mid, vid, gn, gc) as hio does; raises MemoerError when the gram
        is malformed, unsigned on an authic Memoer, or an unsigned later gram of
        a signed memo, and MemoerVerifyError when it fails verification. A
        signed later gram is verified with its memo's vid, from the first
        signed zeroth gram this Memoer received or picked for that mid.
        Kept for hio compatibility: the service loop uses the engine.
        """
        try:
            parsed = grams.parse(gram)
        except grams.GramError as ex:
            raise MemoerError(str(ex)) from ex
        if self.engine.authic and not parsed.authed:
            raise MemoerError(f"unsigned gram {parsed.code} on an authic Memoer")
        mid = parsed.mid
        vid = parsed.vid
        if not parsed.zeroth:
            known = self.engine.rx.vids.get(mid) or self._pickedVids.get(mid)
            if not parsed.authed:
                if known:
                    raise MemoerError(f"mismatch: unsigned later gram for signed memo {mid}")
            elif not vid:
                vid = known
        if parsed.authed:
            reason = self.engine.check(vid, parsed)
            if reason is not None:
                raise MemoerVerifyError(f"{reason}: signature check failed for mid {mid}")
            picked = self._pickedVids
            if parsed.zeroth and vid and mid not in picked:  # the first signer keeps the mid
                picked[mid] = vid
                while len(picked) > self.engine.limits.max_memos:
                    picked.popitem(last=False)
        gram[:] = parsed.body
        return mid, vid, parsed.num, parsed.count

    def fuse(self, grams: Mapping[int, bytes], cnt: int) -> Memo | None:
        """Join cnt gram bodies in number order; None while any is missing."""
        if len(grams) < cnt:
            return None
        try:
            data = b"".join([grams[i] for i in range(cnt)])
        except KeyError:
            return None
        return self.engine.memo_of(data)

    def sign(self, vid: str | bytes, ser: str | bytes) -> bytes:
        """Qualified signature of ser by vid: binary when .curt, else text."""
        vid = vid.decode() if isinstance(vid, bytes) else vid
        ser = ser.encode() if isinstance(ser, str) else ser
        engine = self.engine
        try:
            raw = engine.signer.sign(engine.keep, vid, ser)
        except KeyMaterialError as ex:
            raise MemoerError(str(ex)) from ex
        return grams.sig_bytes(raw, engine.curt)

    makeMID = _MakeMID()

    def rend(self, memo: Memo, vid: str | None = None) -> list[bytes]:
        """Split memo into grams with headers (signed when the code says so)."""
        engine = self.engine
        return engine.render(engine.check_memo(memo, vid), vid)
