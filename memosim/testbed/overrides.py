"""Overrides: ``key.path=value`` edits of a scenario's canonical document.

An override names a key of :meth:`Scenario.to_dict
<memosim.testbed.scenario.Scenario.to_dict>`'s document by a dotted path
(``links.0.loss.rate`` or ``links[0].loss.rate``). :func:`assign` writes the
value there and the scenario is parsed again, so an override is validated
exactly like a file. Errors name the override itself as the file
(``loss.toml with links.0.loss.rate = 2``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from typing import Any

from ..errors import BARE_KEY, MISSING, ScenarioError, Text, show
from ..validation import at
from .scenario_model import thaw

__all__ = ["assign", "check_path", "override_label", "parse_override"]


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"links.0.loss.rate=0.1"`` into a path and a TOML value.

    The value is read as a TOML value (``0.1``, ``true``, ``"x"``,
    ``[1, 2]``, ``{rate = 0.1}``); anything else is taken as a bare string.
    """
    path, sep, value = text.partition("=")
    path, value = path.strip(), value.strip()
    if not sep or not path:
        raise ScenarioError("<override>", "", "key.path=value", text)
    try:
        return path, tomllib.loads(f"v = {value}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return path, value


def override_label(file: str, pairs: Iterable[tuple[str, Any]]) -> str:
    """What errors name as the file: the scenario file with its overrides."""
    return f"{file} with " + ", ".join(f"{p} = {show(v)}" for p, v in pairs)


def check_path(path: str, label: str) -> None:
    """Raise ScenarioError (file `label`) unless path is a well-formed key path."""
    _split_path(path, label)


def assign(doc: dict[str, Any], path: str, value: Any, label: str) -> None:
    """Write value at the key path of doc, creating missing tables on the way."""
    _assign(doc, _split_path(path, label), value, label)


def _split_path(path: Any, label: str) -> list[str]:
    """The keys and indices of a dotted key path (ScenarioError when malformed)."""
    expected = 'a dotted key path such as "links.0.loss.rate"'
    if not isinstance(path, str):
        raise ScenarioError(label, "", expected, path)
    parts = re.sub(r"\[(\d+)\]", r".\1", path).split(".")
    if not all(BARE_KEY.fullmatch(p) for p in parts):
        raise ScenarioError(label, "", expected, path)
    return parts


def _assign(doc: dict[str, Any], parts: list[str], value: Any, label: str) -> None:
    node: Any = doc
    where = ""
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(label, where, f"an index below {len(node)}", Text(part))
            idx: Any = int(part)
            here = f"{where}[{idx}]"
        elif isinstance(node, dict):
            idx = part
            here = at(where, part)
            if not last and part not in node:
                if parts[k + 1].isdigit():
                    raise ScenarioError(label, here, "an existing array", MISSING)
                node[part] = {}
        else:
            raise ScenarioError(label, where, "a table or an array", node)
        if last:
            node[idx] = thaw(value)
        else:
            node = node[idx]
        where = here
