"""Writing a scenario document back to a TOML file that loads to the same Scenario.

``memosim explore`` hands back the runs it found failing as scenario files
that ``memosim run`` replays; the canonical document
(:meth:`Scenario.to_dict`) holds only tables, arrays of tables and values,
so tables become ``[name]`` sections, arrays of tables ``[[name]]``
entries, and everything under them inline values
(:func:`memosim.errors.toml_value`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import toml_value

__all__ = ["scenario_toml", "write_scenario"]

_ORDER = ("scenario", "defaults", "retry", "peers", "links", "partitions", "workload", "explore")


def _body(table: Mapping[str, Any]) -> list[str]:
    return [f"{k} = {toml_value(v)}" for k, v in table.items()]


def scenario_toml(doc: Mapping[str, Any], comment: str = "") -> str:
    """The TOML text of a scenario document, with `comment` lines on top."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    for key in sorted(doc, key=lambda k: _ORDER.index(k) if k in _ORDER else len(_ORDER)):
        value = doc[key]
        if isinstance(value, Mapping):
            lines += ["", f"[{key}]", *_body(value)]
        else:
            for entry in value:
                lines += ["", f"[[{key}]]", *_body(entry)]
    return "\n".join(lines).lstrip("\n") + "\n"


def write_scenario(doc: Mapping[str, Any], path: Path, comment: str = "") -> Path:
    """Write scenario_toml(doc, comment) to path; return it."""
    path.write_text(scenario_toml(doc, comment), encoding="utf-8")
    return path
