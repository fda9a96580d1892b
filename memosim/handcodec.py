"""hio's by-hand codec calls on a Memoer: rend, pick, verify, sign, fuse, wiff, makeMID.

hio lets an application split, check and join grams itself, outside the
service loop. memosim's service loop goes through the engine instead; these
methods keep hio's names, signatures and errors (MemoerError, and
MemoerVerifyError for a signature that does not verify) for code that
calls them. Memoer (memosim/memoing.py) mixes HandCodec in.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from .core import b64, grams
from .core.engine import Engine, Memo, MemoerError, MemoerVerifyError
from .core.keys import KeyMaterialError

__all__ = ["HandCodec"]


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

    def makeMID(self) -> str:
        """A new memo id from .midder (seeded in simulation, never uuid1)."""
        return self.engine.new_mid()[0].decode()

    def rend(self, memo: Memo, vid: str | None = None) -> list[bytes]:
        """Split memo into grams with headers (signed when the code says so)."""
        engine = self.engine
        return engine.render(engine.check_memo(memo, vid), vid)

