"""Errors a user's input can cause, each told in one line.

A :class:`ScenarioError` is the one error type for bad input anywhere in
memosim (scenario files, overrides, link impairment specs). It names the
file, the key path inside it, what would have been accepted and what was
found::

    loss.toml: links[1].loss.rate: expected a number in [0, 1], found 1.5

A validator that does not know the file (memosim.validation, the impairment
builder) leaves it empty; whoever read the file adds it with
:meth:`ScenarioError.in_file`.

Found values are shown as TOML would write them (strings in double quotes,
``true``/``false``, ``[a, b]``, ``{k = v}``), cut to :data:`SHOW_LIMIT`
characters. A :class:`Text` (or any ``str`` subclass) is shown verbatim: it
describes what was found rather than being it (``nothing`` for an absent
key, ``an unknown key``).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["BARE_KEY", "MISSING", "SHOW_LIMIT", "ScenarioError", "Text", "show", "toml_value"]

#: Longest rendering of a found value before it is cut with "...".
SHOW_LIMIT = 60


class Text:
    """A description of what was found, shown as is (not quoted).

    Not a ``str``, so a validator's ``isinstance(x, str)`` never mistakes
    :data:`MISSING` for a value. Any ``str`` subclass is shown verbatim too.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other.text == self.text

    def __hash__(self) -> int:
        return hash((Text, self.text))


#: The found value of a required key that is absent.
MISSING = Text("nothing")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: A key TOML writes without quotes (others are quoted in key paths).
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_value(x: Any) -> str:
    """A value as TOML writes it, whole (never cut, control characters kept).

    The one renderer of values: :func:`show` shortens it for messages, sweeps
    write it into CSV cells. A :class:`Text` or ``str`` subclass is verbatim.
    """
    if isinstance(x, Text) or (isinstance(x, str) and type(x) is not str):
        return str(x)
    if isinstance(x, str):
        return json.dumps(x, ensure_ascii=False)
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, (datetime.date, datetime.time)):
        return x.isoformat()
    if isinstance(x, Mapping):
        items = ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in x.items())
        return "{" + items + "}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in x) + "]"
    return f"a {type(x).__name__}"


def _key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def show(value: Any) -> str:
    """One-line rendering of a found value, TOML-like, at most SHOW_LIMIT chars."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", toml_value(value))
    if len(text) > SHOW_LIMIT and not isinstance(value, Text):
        text = text[: SHOW_LIMIT - 3] + "..."
    return text


class ScenarioError(ValueError):
    """A scenario (file or override) holds a value that cannot be used.

    ``str()`` is one line: ``<file>: <path>: expected <expected>, found <found>``
    (without ``<path>: `` when the whole file is at fault, without ``<file>: ``
    while the file is not known yet).

    Attributes:
        file: the file name as given (or a label such as ``<override>``).
        path: the key path, ``links[1].loss.rate``; for TOML syntax errors
            ``line 3, column 7``; empty when the whole file is at fault.
        expected: what would have been accepted.
        found: the value found, or a :class:`Text` describing it.
    """

    def __init__(self, file: str, path: str, expected: str, found: Any) -> None:
        self.file = str(file)
        self.path = path
        self.expected = expected
        self.found = found
        where = "".join(f"{part}: " for part in (self.file, path) if part)
        line = f"{where}expected {expected}, found {show(found)}"
        super().__init__(_CONTROL.sub(" ", line))

    def in_file(self, file: str) -> ScenarioError:
        """The same error, told as found in ``file``."""
        return type(self)(file, self.path, self.expected, self.found)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, str, str, Any]]:
        # keep pickling (multiprocessing, pytest-xdist) working
        return (type(self), (self.file, self.path, self.expected, self.found))
