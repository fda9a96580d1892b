"""memosim: deterministic simulation and network-emulation testbed for memogram
transports, wire-compatible with hio 0.7.20's PeerMemoer."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Where each public name lives. They are imported on first use (PEP 562), so that
# importing a submodule, such as the pytest plugin every test run of a memosim
# user loads, does not load the protocol, PyNaCl and the rest.
_HOMES = {
    "MemoDex": "core.codes",
    "Sizage": "core.codes",
    "Versionage": "core.codes",
    "Keyage": "core.keys",
    "make_keyage": "core.keys",
    "Limits": "core.limits",
    "Doer": "doing",
    "Doist": "doing",
    "AuthMemoer": "memoing",
    "AuthMemoerDoer": "memoing",
    "Memoer": "memoing",
    "MemoerDoer": "memoing",
    "MemoerError": "memoing",
    "MemoerVerifyError": "memoing",
    "openAM": "memoing",
    "openMemoer": "memoing",
    "PeerMemoer": "peermemoing",
    "PeerMemoerDoer": "peermemoing",
    "SafePeerMemoerDoer": "peermemoing",
    "openPM": "peermemoing",
    "Tymee": "tyming",
    "Tymer": "tyming",
    "Tymist": "tyming",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'memosim' has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
