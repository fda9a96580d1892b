"""The Doers a scenario compares: the two built-ins, or any Doer class by import path.

A scenario's ``doers`` names each Doer as ``"PeerMemoerDoer"``,
``"SafePeerMemoerDoer"`` or ``"package.module:Class"``. :func:`doer_class`
turns a name into its class, importing the module, and checks the contract
(docs/scenarios.md, "Your own Doer"): a subclass of :class:`memosim.doing.Doer`
built with ``cls(peer=peer)``. A name that breaks it is a one-line
:class:`~memosim.errors.ScenarioError` when the scenario loads, not a
traceback mid-run. Results name each Doer as the scenario gives it.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable
from typing import Any

from ..doing import Doer
from ..errors import ScenarioError, Text, show
from ..peermemoing import PeerMemoerDoer, SafePeerMemoerDoer
from ..validation import unknown
from .scenario_model import DOERS

__all__ = [
    "BUILTIN_DOERS",
    "DOER_PATH",
    "DoerRaised",
    "build_doers",
    "doer_class",
    "doer_raised",
    "is_doer_name",
    "parse_doers",
]

#: The built-in Doers by name.
BUILTIN_DOERS: dict[str, type[Doer]] = {
    "PeerMemoerDoer": PeerMemoerDoer,
    "SafePeerMemoerDoer": SafePeerMemoerDoer,
}
assert tuple(BUILTIN_DOERS) == DOERS
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
#: An import path: dotted module, a colon, the class (dotted for a nested class).
DOER_PATH = re.compile(rf"{_IDENT}(\.{_IDENT})*:{_IDENT}(\.{_IDENT})*")
EXPECTED = f'{" or ".join(show(d) for d in DOERS)} or a Doer class by import path "module:Class"'


def is_doer_name(name: Any) -> bool:
    """True when name could name a Doer: a built-in, or well-formed as an import path."""
    return isinstance(name, str) and (name in BUILTIN_DOERS or bool(DOER_PATH.fullmatch(name)))


def doer_class(name: Any, path: str = "doer") -> type[Doer]:
    """The class a Doer name gives, its contract checked (ScenarioError at path)."""
    if not is_doer_name(name):
        raise ScenarioError("", path, EXPECTED, unknown(name, DOERS))
    if name in BUILTIN_DOERS:
        return BUILTIN_DOERS[name]

    def bad(why: str) -> ScenarioError:
        return ScenarioError("", path, EXPECTED, Text(f"{show(name)} ({why})"))

    module_name, _, qualname = name.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
    except (Exception, SystemExit) as ex:  # the user's module may fail in any way
        raise bad(f"cannot import {module_name}: {type(ex).__name__}: {ex}") from None
    for part in qualname.split("."):
        if not hasattr(found, part):
            raise bad(f"{module_name} has no {qualname}") from None
        found = getattr(found, part)
    if not (isinstance(found, type) and issubclass(found, Doer)):
        raise bad("not a subclass of memosim.doing.Doer")
    try:
        inspect.signature(found).bind(peer=None)
    except (TypeError, ValueError):
        raise bad("its constructor does not take peer=") from None
    return found


def promises_acked(name: Any) -> bool:
    """True for Doers that promise acked delivery: SafePeerMemoerDoer, its
    subclasses, and any Doer class that winds its peer (``WindsPeer``, as
    memosim.memoing.MemoerDoer), so Sure memos are retried and given up on.
    False for any name that loads no Doer class."""
    if not is_doer_name(name):
        return False
    try:
        cls = doer_class(name)
    except ScenarioError:
        return False
    return issubclass(cls, SafePeerMemoerDoer) or bool(getattr(cls, "WindsPeer", False))


def build_doers(name: str, peers: Iterable[Any]) -> list[Doer]:
    """One Doer of the class ``name`` gives per peer, built as ``cls(peer=peer)``;
    a constructor that fails is a ScenarioError naming the Doer."""
    cls = doer_class(name)
    try:
        return [_class_for(name, cls, peer)(peer=peer) for peer in peers]
    except (Exception, SystemExit) as ex:  # the user's constructor may fail in any way
        raise ScenarioError(
            "",
            f"Doer {show(name)}",
            "a Doer class built with cls(peer=peer)",
            Text(f"one raising {type(ex).__name__}: {ex}"),
        ) from None


def _class_for(name: str, cls: type[Doer], peer: Any) -> Any:
    """hio's own Doer of that name for a hio peer (impl = "hio"), else cls."""
    if getattr(peer, "impl", "memosim") == "hio":
        from .hio_peers import hio_doer

        return hio_doer(name) or cls
    return cls


class DoerRaised(ScenarioError):
    """A Doer of the scenario's own raised mid-run. One line like every
    ScenarioError; ``raised`` is the exception alone ("RuntimeError: ...")."""

    def __init__(self, file: str, path: str, expected: str, found: Any, raised: str = "") -> None:
        super().__init__(file, path, expected, found)
        self.raised = raised

    def in_file(self, file: str) -> DoerRaised:
        return type(self)(file, self.path, self.expected, self.found, self.raised)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, str, str, Any]]:
        args = (self.file, self.path, self.expected, self.found, self.raised)
        return (type(self), args)  # type: ignore[return-value]


def doer_raised(name: str, ex: BaseException, tyme: float) -> DoerRaised:
    """The one-line error for a Doer of the scenario's own whose pass raised
    (the contract: a pass returns; a remote peer's input must never raise)."""
    first = str(ex).splitlines()[0] if str(ex) else ""
    raised = f"{type(ex).__name__}: {first}"
    return DoerRaised(
        "",
        f"Doer {show(name)}",
        "a Doer whose passes return without raising",
        Text(f"one raising {type(ex).__name__}: {ex} at tyme {tyme:.6g}"),
        raised,
    )


def parse_doers(x: Any) -> tuple[str, ...]:
    """A scenario's ``doers``: a non-empty array of Doer names, each once, each loadable."""
    if not isinstance(x, (list, tuple)) or not x:
        raise ScenarioError("", "scenario.doers", f"a non-empty array of {EXPECTED}", x)
    seen: list[str] = []
    for i, name in enumerate(x):
        if name in seen:
            raise ScenarioError("", f"scenario.doers[{i}]", "each Doer once", name)
        doer_class(name, f"scenario.doers[{i}]")
        seen.append(name)
    return tuple(seen)
