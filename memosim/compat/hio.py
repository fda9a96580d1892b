"""hio's import paths for memosim's memogram transport: one switch runs hio code on memosim.

After `install()`, importing hio's memogram modules gives memosim's:

    hio.core.memo.memoing     -> memosim.memoing      (Memoer, AuthMemoer, openMemoer, ...)
    hio.core.memo             -> the names hio's package exports from it
    hio.core.udp.peermemoing  -> memosim.peermemoing  (PeerMemoer, openPM, the Doers)
    hio.core.udp.udping       -> memosim.transports.udp  (Peer)
    hio.base.doing, .tyming   -> memosim.doing, memosim.tyming
    hio.hioing, hio           -> MemoerError, MemoerVerifyError
    hio.help.helping          -> memosim.compat.helping (codeB64ToB2, codeB2ToB64)

The entries go straight into sys.modules, so an installed hio is never
imported while the layer is on, and any other hio module (hio.core.tcp,
hio.help.timing, ...) fails to import with ModuleNotFoundError instead of
mixing the two libraries. `uninstall()` takes the entries out again.

From the command line, `python -m memosim.compat.hio script.py [args]` or
`python -m memosim.compat.hio -m module [args]` (e.g. `-m pytest tests/`)
runs a script or module with the layer on.
"""

from __future__ import annotations

import importlib
import runpy
import sys
import types

__all__ = ["MODULES", "PACKAGES", "install", "installed", "main", "uninstall"]

# hio module path -> the memosim module served there
MODULES = {
    "hio.core.memo.memoing": "memosim.memoing",
    "hio.core.udp.peermemoing": "memosim.peermemoing",
    "hio.core.udp.udping": "memosim.transports.udp",
    "hio.base.doing": "memosim.doing",
    "hio.base.tyming": "memosim.tyming",
    "hio.help.helping": "memosim.compat.helping",
}

# hio package (or plain module) path -> (memosim module, the names hio exports there)
PACKAGES = {
    "hio": ("memosim.memoing", ("MemoerError", "MemoerVerifyError")),
    "hio.hioing": ("memosim.memoing", ("MemoerError", "MemoerVerifyError")),
    "hio.help": ("memosim.compat.helping", ()),
    "hio.base": ("memosim.doing", ("Tymist", "Tymee", "Tymer", "Doist", "doize", "doify", "Doer")),
    "hio.core": ("memosim.memoing", ()),
    "hio.core.memo": (
        "memosim.memoing",
        (
            "Versionage",
            "Sizage",
            "Keyage",
            "MemoDex",
            "ZeroDex",
            "GramDex",
            "AuthDex",
            "SureDex",
            "AckDex",
            "openMemoer",
            "Memoer",
            "MemoerDoer",
            "openAM",
            "AuthMemoer",
            "AuthMemoerDoer",
        ),
    ),
    "hio.core.udp": ("memosim.transports.udp", ("Peer",)),
}

_MARK = "__memosim_compat__"  # set on the stand-in modules this layer makes


def _standin(name: str, source: str, names: tuple[str, ...]) -> types.ModuleType:
    """A module named as hio's, holding names taken from a memosim module."""
    module = types.ModuleType(name, f"memosim stand-in for {name} (memosim.compat.hio)")
    if name != "hio.hioing":
        module.__path__ = []  # a package: its submodules come only from sys.modules
    real = importlib.import_module(source)
    for attr in names:
        setattr(module, attr, getattr(real, attr))
    setattr(module, _MARK, source)
    return module


def installed() -> bool:
    """True while hio's paths are served by memosim."""
    return getattr(sys.modules.get("hio"), _MARK, None) is not None


def install() -> None:
    """Serve hio's memogram module paths with memosim's modules (idempotent).

    Raises RuntimeError when a real hio is already imported in this process:
    the two cannot share the names.
    """
    if installed():
        return
    present = sorted(n for n in sys.modules if n == "hio" or n.startswith("hio."))
    if present:
        raise RuntimeError(
            f"hio is already imported ({present[0]}); install memosim's "
            "hio layer before anything imports hio"
        )
    entries = {name: _standin(name, source, names) for name, (source, names) in PACKAGES.items()}
    entries.update({name: importlib.import_module(source) for name, source in MODULES.items()})
    for name, module in entries.items():
        parent, _, leaf = name.rpartition(".")
        if parent:
            setattr(entries[parent], leaf, module)
    sys.modules.update(entries)


def uninstall() -> None:
    """Take hio's paths out of sys.modules again (no-op when not installed)."""
    if not installed():
        return
    for name in [*PACKAGES, *MODULES]:
        sys.modules.pop(name, None)


def main(argv: list[str] | None = None) -> None:
    """`python -m memosim.compat.hio (script.py | -m module) [args...]`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] == "-m" and len(args) < 2):
        raise SystemExit("usage: python -m memosim.compat.hio (script.py | -m module) [args...]")
    install()
    if args[0] == "-m":
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
