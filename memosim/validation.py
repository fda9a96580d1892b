"""The validation kit: leaf checks of TOML-shaped input, one error type.

Scenario files, overrides and link impairment specs are checked with these
functions, so a wrong value reads the same wherever it is found. Each check
takes the table ``d``, the ``key`` to read and the ``path`` of the table,
returns the value when it is acceptable and otherwise raises a
:class:`~memosim.errors.ScenarioError` without a file (the caller that read
the file adds it with ``in_file``)::

    >>> number({"rate": 1.5}, "rate", "links[0].loss", "a number in [0, 1]",
    ...        lambda v: 0 <= v <= 1)
    Traceback (most recent call last):
    memosim.errors.ScenarioError: links[0].loss.rate: expected a number in [0, 1], found 1.5

An absent key is found as :data:`~memosim.errors.MISSING` ("nothing") unless
a default is given. Unknown keys and unknown choices get a "did you mean"
when a known one is close.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .errors import BARE_KEY, MISSING, ScenarioError, Text, show

__all__ = [
    "at",
    "boolean",
    "check_keys",
    "choice",
    "integer",
    "is_number",
    "nonneg",
    "number",
    "positive",
    "string",
    "suggest",
    "table",
    "tables",
    "unknown",
]


def at(path: str, key: Any) -> str:
    """The key path of ``key`` inside ``path``; a key TOML must quote is quoted."""
    key = str(key)
    if not BARE_KEY.fullmatch(key):
        key = show(key)
    return f"{path}.{key}" if path else key


def suggest(
    word: str, choices: Iterable[str], hints: Mapping[str, str] | None = None
) -> str | None:
    """The choice ``word`` was probably meant to be, or None.

    ``hints`` maps words people reach for to the choice meant (``"rate"`` ->
    ``"rate_per_s"``); otherwise the closest spelling, then a case-insensitive match.
    """
    choices = list(choices)
    if hints and word in hints and hints[word] in choices:
        return hints[word]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == word.lower()]
    return close[0] if close else None


def unknown(value: Any, choices: Iterable[str], hints: Mapping[str, str] | None = None) -> Any:
    """The found value, with a "did you mean" when a choice is close."""
    guess = suggest(value, choices, hints) if isinstance(value, str) else None
    return Text(f'{show(value)} (did you mean "{guess}"?)') if guess else value


def check_keys(
    d: Mapping[str, Any], path: str, known: Sequence[str], hints: Mapping[str, str] | None = None
) -> None:
    """Raise at the first key of ``d`` that is not ``known``, with a "did you mean"."""
    for key in d:
        if key not in known:
            guess = suggest(str(key), known, hints)
            found = f'an unknown key (did you mean "{guess}"?)' if guess else "an unknown key"
            raise ScenarioError(
                "", at(path, key), f"one of the keys {', '.join(known)}", Text(found)
            )


def table(x: Any, path: str, expected: str) -> Mapping[str, Any]:
    """``x`` when it is a table."""
    if not isinstance(x, Mapping):
        raise ScenarioError("", path, expected, x)
    return x


def tables(x: Any, path: str, expected: str) -> list[Mapping[str, Any]]:
    """``x`` when it is an array of tables."""
    if not isinstance(x, (list, tuple)):
        raise ScenarioError("", path, expected, x)
    for i, item in enumerate(x):
        if not isinstance(item, Mapping):
            raise ScenarioError("", f"{path}[{i}]", "a table", item)
    return list(x)


def choice(
    x: Any, path: str, choices: Sequence[str], hints: Mapping[str, str] | None = None
) -> str:
    """``x`` when it is one of ``choices`` (strings), listed as ``"a" or "b"``."""
    if not isinstance(x, str) or x not in choices:
        expected = " or ".join(f'"{c}"' for c in choices)
        raise ScenarioError("", path, expected, unknown(x, choices, hints))
    return x


def is_number(x: Any) -> bool:
    """True for a finite int or float (a bool is not a number here)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def number(
    d: Mapping[str, Any],
    key: str,
    path: str,
    expected: str,
    ok: Callable[[float], bool],
    default: Any = MISSING,
) -> float:
    """``d[key]`` as a float when it is a finite number that ``ok`` accepts."""
    x = d.get(key, default)
    if not is_number(x) or not ok(x):
        raise ScenarioError("", at(path, key), expected, x)
    return float(x)


def positive(d: Mapping[str, Any], key: str, path: str, default: Any = MISSING) -> float:
    """``d[key]``: a number > 0."""
    return number(d, key, path, "a number > 0", lambda v: v > 0, default)


def nonneg(d: Mapping[str, Any], key: str, path: str, default: Any = MISSING) -> float:
    """``d[key]``: a number >= 0."""
    return number(d, key, path, "a number >= 0", lambda v: v >= 0, default)


def integer(
    d: Mapping[str, Any],
    key: str,
    path: str,
    lo: int,
    hi: int | None = None,
    default: Any = MISSING,
    why: str = "",
) -> int:
    """``d[key]``: an integer in [lo, hi] (>= lo without hi); ``why`` ends the expectation."""
    x = d.get(key, default)
    if isinstance(x, bool) or not isinstance(x, int) or x < lo or (hi is not None and x > hi):
        expected = f"an integer in [{lo}, {hi}]" if hi is not None else f"an integer >= {lo}"
        raise ScenarioError("", at(path, key), expected + why, x)
    return x


def boolean(d: Mapping[str, Any], key: str, path: str, default: Any = MISSING) -> bool:
    """``d[key]``: true or false."""
    x = d.get(key, default)
    if not isinstance(x, bool):
        raise ScenarioError("", at(path, key), "true or false", x)
    return x


def string(d: Mapping[str, Any], key: str, path: str, default: Any = MISSING) -> str:
    """``d[key]``: a string."""
    x = d.get(key, default)
    if not isinstance(x, str):
        raise ScenarioError("", at(path, key), "a string", x)
    return x
