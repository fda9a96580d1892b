"""What a peer sends and how: code, header encoding, gram size, keys, memo ids.

Renderer holds a peer's codec settings and turns checked memo bytes into
grams (a Sure memo with its tag ahead of it, a signed code signed with the
peer's vid). The protocol Engine (engine.py) is a Renderer; hio's by-hand
`rend` goes through the same code. Memo ids come from the injected `midder`:
nothing here reads OS randomness.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping

from . import codes, grams, surewire
from .aliases import Memo
from .codes import MemoDex
from .errors import MemoerError
from .keys import Keyage, Signer, sign_detached

__all__ = ["Renderer"]

_b2a = binascii.b2a_base64
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


class Renderer:
    """A peer's codec settings, and memo bytes into grams."""

    def __init__(
        self,
        *,
        midder: Callable[[], bytes],
        code: str = MemoDex.GramZero,
        curt: bool = False,
        size: int | None = None,
        max_gram_size: int = codes.MaxGramSize,
        keep: Mapping[str, Keyage] | None = None,
        vid: str | None = None,
    ) -> None:
        self.midder = midder
        self.max_gram_size = int(max_gram_size)
        self.keep: Mapping[str, Keyage] = keep if keep is not None else {}
        self.vid = vid or None
        self.signer = Signer()
        self._curt = bool(curt)
        self._code = MemoDex.GramZero
        self._asked: int | None = size
        self.code = code

    # ---- codec settings ----------------------------------------------------
    @property
    def code(self) -> str:
        """Zeroth gram code used when rending memos for transmission."""
        return self._code

    @code.setter
    def code(self, code: str) -> None:
        if code not in codes.ZeroDex:
            raise MemoerError(f"invalid code {code!r}: must be a zeroth gram code")
        self._code = code
        self.size = self._asked

    @property
    def curt(self) -> bool:
        """True renders headers in binary (Base2), False in text (Base64)."""
        return self._curt

    @curt.setter
    def curt(self, curt: bool) -> None:
        self._curt = bool(curt)
        self.size = self._asked

    @property
    def size(self) -> int:
        """Largest gram made when rending, header and signature included."""
        return self._size

    @size.setter
    def size(self, size: int | None) -> None:
        self._asked = size  # re-applied when code or curt changes the smallest size
        size = self.max_gram_size if size is None else int(size)
        size = max(size, codes.overhead(self._code, self._curt) + 1)
        if size > self.max_gram_size:
            raise MemoerError(f"gram size {size} exceeds MaxGramSize {self.max_gram_size}")
        self._size = size
        self._sizing = grams.sizing(self._code, self._curt, size)
        sizes = codes.Sizes[self._code]
        self.vid_chars = sizes.vz  # vid length the code carries (0: none)
        self.signs = bool(sizes.az)
        self.sure = self._code in codes.SureDex
        # a Sure memo is sent with its tag ahead of it (surewire.py)
        self.max_memo = self._sizing.max_memo - (surewire.SURE_PREFIX if self.sure else 0)
        # one-gram memos (the common case) skip the splitter: code + neck 1 + mid + body
        self._one_gram_body = self._sizing.zeroth_body
        self._one_gram_head = grams.one_gram_head(self._code, self._curt)

    def check_memo(self, memo: Memo, vid: str | None) -> bytes:
        """The bytes of a memo this engine can send; MemoerError when it cannot."""
        if isinstance(memo, str):
            data = memo.encode()
        elif isinstance(memo, (bytes, bytearray, memoryview)):
            data = bytes(memo)
        else:
            raise MemoerError(f"memo must be str or bytes, not {type(memo).__name__}")
        if len(data) > self.max_memo:
            raise MemoerError(f"memo length {len(data)} exceeds max {self.max_memo}")
        vz = self.vid_chars
        if vz:
            vid = vid if vid is not None else self.vid
            if not vid or len(vid) != vz:
                raise MemoerError(f"code {self._code} needs a 44-char vid, got {vid!r}")
            if vid not in self.keep:
                raise MemoerError(f"vid {vid[:12]}... has no keep entry to sign with")
        return data

    def new_mid(self) -> tuple[bytes, bytes]:
        """A new memo id as its 24 text bytes and its 18-byte binary form."""
        raw = self.midder()
        if len(raw) != 16:
            raise MemoerError(f"midder must give 16 bytes, gave {len(raw)}")
        binary = grams.MID_LEAD_BINARY + raw  # Base64 of this is '0A' + 22 digits
        return _b2a(binary, newline=False).translate(_TO_URLSAFE), binary  # b64.encode, inline

    def render(self, data: bytes, vid: str | None) -> list[bytes]:
        """Grams of checked memo bytes (signed when the code says so)."""
        if len(data) > self.max_memo:  # the size may have shrunk since the check
            raise MemoerError(f"memo length {len(data)} exceeds max {self.max_memo}")
        curt = self._curt
        if not self.signs:
            mid_t, mid_b = self.new_mid()
            if self.sure:  # its tag binds the content to the id (surewire.py)
                data = surewire.wrap(mid_t.decode(), data)
            if len(data) <= self._one_gram_body:  # one gram: code, neck 1, mid, body
                return [self._one_gram_head + (mid_b if curt else mid_t) + data]
            return grams.split(
                data,
                code=self._code,
                curt=curt,
                size=self._size,
                mid=mid_t.decode(),
                lay=self._sizing,
            )
        vid = vid if vid is not None else self.vid
        if vid is None:  # check_memo refuses this; render may be called alone
            raise MemoerError(f"code {self._code} needs a vid to sign with")
        secret = self.signer.secret(self.keep, vid)
        mid_t, mid_b = self.new_mid()
        if self.sure:
            data = surewire.wrap(mid_t.decode(), data)
        if len(data) <= self._one_gram_body:  # one gram: code, neck 1, mid, vid, body, signature
            gram = b"".join(
                (self._one_gram_head, mid_b if curt else mid_t, grams.vid_bytes(vid, curt), data)
            )
            return [gram + grams.sig_bytes(sign_detached(gram, secret), curt)]

        def signer(ser: bytes) -> bytes:
            return sign_detached(ser, secret)

        return grams.split(
            data,
            code=self._code,
            curt=curt,
            size=self._size,
            mid=mid_t.decode(),
            vid=vid,
            sign=signer,
            lay=self._sizing,
        )
