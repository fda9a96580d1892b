"""memosim: deterministic simulation and network-emulation testbed for memogram
transports, wire-compatible with hio 0.7.20's PeerMemoer."""

from .core.codes import MemoDex, Sizage, Versionage
from .core.keys import Keyage, make_keyage
from .core.reassembly import Limits
from .doing import Doer, Doist
from .memoing import Memoer, MemoerError, MemoerVerifyError
from .peermemoing import PeerMemoer, PeerMemoerDoer, SafePeerMemoerDoer, openPM
from .tyming import Tymee, Tymer, Tymist

__all__ = [
    "Doer", "Doist", "Keyage", "Limits", "MemoDex", "Memoer", "MemoerError", "MemoerVerifyError",
    "PeerMemoer", "PeerMemoerDoer", "SafePeerMemoerDoer", "Sizage", "Tymee", "Tymer",
    "Tymist", "Versionage", "make_keyage", "openPM",
]
__version__ = "0.1.0"
