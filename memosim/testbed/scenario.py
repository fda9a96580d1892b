"""Scenario files: one TOML file describes one comparison of Doers.

This module is the entry point (docs/scenarios.md documents every field):

- :func:`load_scenario` reads a file and :func:`parse_scenario` validates a
  plain dict. Either returns a :class:`Scenario` or raises exactly one
  :class:`~memosim.errors.ScenarioError` naming the file, the key path
  (``links[1].loss.rate``), what was expected and what was found. Nothing a
  file holds makes them raise anything else.
- The checks live in :mod:`~memosim.testbed.scenario_parse` (over the leaf
  checks of :mod:`memosim.validation`), the parts of a scenario in
  :mod:`~memosim.testbed.scenario_model`, the limits in
  :mod:`~memosim.testbed.limits`, overrides in
  :mod:`~memosim.testbed.overrides`; their public names are re-exported here.
- Everything is a frozen dataclass. :meth:`Scenario.to_dict` gives the
  canonical document (every default filled in, references resolved to peer
  names) and ``parse_scenario(s.to_dict(), s.file) == s``.
- :meth:`Scenario.with_override` edits that document at one key path and
  parses it again, so an override is validated exactly like a file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ScenarioError, Text
from .explore_spec import explore_dict
from .limits import LIMITS, MAX_DEPTH, MAX_FILE_BYTES
from .overrides import assign, check_path, override_label, parse_override
from .scenario_model import (
    ALL,
    DEFAULT_HOST,
    DOERS,
    GRAM_KEYS,
    MAX_GRAM_SIZE,
    MAX_MEMO_BYTES,
    SIZE_DISTS,
    LinkSpec,
    PartitionSpec,
    PeerDefaults,
    PeerSpec,
    SizeSpec,
    WorkloadSpec,
    thaw,
)
from .scenario_parse import default_name, parse_fields

__all__ = [
    "ALL",
    "DEFAULT_HOST",
    "DOERS",
    "MAX_GRAM_SIZE",
    "MAX_MEMO_BYTES",
    "LIMITS",
    "SIZE_DISTS",
    "LinkSpec",
    "PartitionSpec",
    "PeerDefaults",
    "PeerSpec",
    "Scenario",
    "SizeSpec",
    "WorkloadSpec",
    "default_name",
    "load_scenario",
    "parse_override",
    "parse_scenario",
    "check_path",
]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build with load_scenario or parse_scenario."""

    file: str = field(compare=False)
    """Where it came from (for messages); not part of equality."""
    name: str
    description: str
    duration_s: float
    """Tyme limit of each run."""
    seed: int
    tock_s: float
    """The Doist's tock."""
    doers: tuple[str, ...]
    """Doer classes compared, one run each."""
    defaults: PeerDefaults
    retry: Mapping[str, Any]
    """The keys the top-level [retry] sets (read-only); each peer's resolved policy
    is its PeerSpec.retry."""
    peers: tuple[PeerSpec, ...]
    links: tuple[LinkSpec, ...]
    partitions: tuple[PartitionSpec, ...]
    workload: tuple[WorkloadSpec, ...]
    routes: Mapping[tuple[str, str], LinkSpec] = field(compare=False, repr=False)
    """The link of each directed (src, dst) pair that has one (most specific wins)."""
    explore: Mapping[str, Mapping[str, Any]] | None = field(default=None, repr=False)
    """The [explore] table's ranges (memosim.testbed.explore_spec), None when absent."""

    def peer(self, name: str) -> PeerSpec:
        """The peer called name (KeyError when there is none)."""
        for p in self.peers:
            if p.name == name:
                return p
        raise KeyError(name)

    def link(self, src: str, dst: str) -> LinkSpec | None:
        """The link that carries src's datagrams to dst; None: a clean link."""
        return self.routes.get((src, dst))

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (src, dst) pair some workload sends on, in order of first use."""
        return tuple(dict.fromkeys(p for w in self.workload for p in w.pairs))

    @property
    def memo_count(self) -> int:
        """Memos sent in one run, over all workloads and pairs."""
        return sum(w.count * len(w.pairs) for w in self.workload)

    def to_dict(self) -> dict[str, Any]:
        """The canonical document: defaults filled in, references as peer names.

        Retry tables appear with the keys the file set, and only when it set
        some (RetryPolicy's defaults fill in the rest), so a file without
        them keeps its document and its regression digest."""
        return {
            "scenario": {
                "name": self.name,
                "description": self.description,
                "duration_s": self.duration_s,
                "seed": self.seed,
                "tock_s": self.tock_s,
                "doers": list(self.doers),
            },
            "defaults": {k: getattr(self.defaults, k) for k in GRAM_KEYS},
            **({"retry": thaw(self.retry)} if self.retry else {}),
            "peers": [
                {"name": p.name, "host": p.host, "port": p.port}
                | ({"impl": p.impl} if p.impl != "memosim" else {})  # the default stays implicit
                | {k: getattr(p, k) for k in p.overrides}
                | ({"retry": thaw(p.retry_set)} if p.retry_set else {})
                | thaw(p.interfaces)
                for p in self.peers
            ],
            "links": [
                {"src": k.src, "dst": k.dst, "both": k.both} | thaw(k.impairments)
                for k in self.links
            ],
            "partitions": [
                {"peers": list(p.peers), "start_s": p.start_s}
                | ({} if p.end_s is None else {"end_s": p.end_s})
                for p in self.partitions
            ],
            "workload": [_workload_dict(w) for w in self.workload],
            **({} if self.explore is None else {"explore": explore_dict(self.explore)}),
        }

    def with_override(self, path: str, value: Any) -> Scenario:
        """A new Scenario with the value at a dotted key path replaced, re-validated.

        ``path`` addresses the document of :meth:`to_dict`, with array indices
        as numbers: ``"links.0.loss.rate"`` (or ``"links[0].loss.rate"``),
        ``"scenario.duration_s"``, ``"defaults.gram_size"``. Missing tables on
        the way are created (``links.0.loss.rate`` on a link without loss adds
        one). Raises ScenarioError, its file naming the override.
        """
        return self.with_overrides([(path, value)])

    def with_overrides(self, overrides: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Scenario:
        """Like with_override for several paths at once, validated as a whole.

        Chaining with_override would judge each intermediate scenario, which can
        reject a valid combination (a larger count with a shorter interval).
        """
        pairs = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
        label = override_label(self.file, pairs)
        doc = self.to_dict()
        for path, value in pairs:
            assign(doc, path, value, label)
        try:
            return parse_scenario(doc, self.file)
        except ScenarioError as ex:
            raise ex.in_file(label) from None


def _workload_dict(w: WorkloadSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "src": _refs(w.src),
        "dst": _refs(w.dst),
        "count": w.count,
    }
    if w.interval_s is not None:
        out["interval_s"] = w.interval_s
    else:
        out["rate_per_s"] = w.rate_per_s
    out["start_s"] = w.start_s
    out["memo_size"] = w.memo_size.to_dict()
    return out


def _refs(ref: str | tuple[str, ...]) -> str | list[str]:
    if isinstance(ref, str):
        return ref
    return ref[0] if len(ref) == 1 else list(ref)


# ------------------------------------------------------------ entry points


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Raises ScenarioError, never anything else
    for the file's contents."""
    file = str(path)
    try:
        with Path(path).open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as ex:
        reason = (ex.strerror or type(ex).__name__).lower()
        raise ScenarioError(file, "", "a readable scenario file", Text(reason)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            file, "", f"a scenario file of at most {MAX_FILE_BYTES:,} bytes", Text("a larger file")
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as ex:
        line = raw.count(b"\n", 0, ex.start) + 1
        raise ScenarioError(
            file, f"line {line}", "UTF-8 text", Text(f"byte 0x{raw[ex.start]:02x}")
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as ex:
        raise _syntax_error(file, str(ex)) from None
    except RecursionError:
        raise ScenarioError(
            file,
            "",
            f"tables and arrays nested at most {MAX_DEPTH} deep",
            Text("nesting too deep to read"),
        ) from None
    return parse_scenario(data, file)


def _syntax_error(file: str, message: str) -> ScenarioError:
    m = re.fullmatch(r"(.*?) \(at (line \d+, column \d+|end of document)\)", message, re.S)
    reason, where = (m.group(1), m.group(2)) if m else (message, "")
    return ScenarioError(file, where, "valid TOML", Text(f"a syntax error ({reason})"))


def parse_scenario(data: Any, file: str) -> Scenario:
    """Validate a document (a dict as tomllib returns it) and build its Scenario.

    ``file`` names the source in error messages; its stem is the default name.
    """
    file = str(file)
    try:
        fields = parse_fields(data, file)
    except ScenarioError as ex:
        raise ex.in_file(file) from None
    return Scenario(file=file, **fields)
