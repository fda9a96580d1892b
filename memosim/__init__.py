"""memosim: deterministic simulation and network-emulation testbed for memogram
transports, wire-compatible with hio 0.7.20's PeerMemoer."""

from .core.codes import MemoDex, Sizage, Versionage
from .core.keys import Keyage, make_keyage
from .core.limits import Limits
from .doing import Doer, Doist
from .memoing import (
    AuthMemoer,
    AuthMemoerDoer,
    Memoer,
    MemoerDoer,
    MemoerError,
    MemoerVerifyError,
    openAM,
    openMemoer,
)
from .peermemoing import PeerMemoer, PeerMemoerDoer, SafePeerMemoerDoer, openPM
from .tyming import Tymee, Tymer, Tymist

__all__ = [
    "AuthMemoer",
    "AuthMemoerDoer",
    "Doer",
    "Doist",
    "Keyage",
    "Limits",
    "MemoDex",
    "Memoer",
    "MemoerDoer",
    "MemoerError",
    "MemoerVerifyError",
    "PeerMemoer",
    "PeerMemoerDoer",
    "SafePeerMemoerDoer",
    "Sizage",
    "Tymee",
    "Tymer",
    "Tymist",
    "Versionage",
    "make_keyage",
    "openAM",
    "openMemoer",
    "openPM",
]
__version__ = "0.1.0"
