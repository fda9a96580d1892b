"""Scenario files: one TOML file describes one comparison of Doers.

Rules of this module (docs/scenarios.md documents every field):

- :func:`load_scenario` reads a file and :func:`parse_scenario` validates a
  plain dict. Either returns a :class:`Scenario` or raises exactly one
  :class:`~memosim.errors.ScenarioError` naming the file, the key path
  (``links[1].loss.rate``), what was expected and what was found. Nothing a
  file holds makes them raise anything else.
- Validation is complete at load: unknown keys (with "did you mean"), types,
  ranges, peer references, duplicate peers and addresses, gram sizes against
  the header overhead of each peer's codes and the UDP limit, workloads that
  would not finish within the scenario's duration.
- Impairment tables of a link are validated by
  :func:`memosim.sim.impairments.build_link_impairments`, called from
  :func:`_build_impairments` only, so the link vocabulary lives in one place.
- Everything is a frozen dataclass. :meth:`Scenario.to_dict` gives the
  canonical document (every default filled in, references resolved to peer
  names) and ``parse_scenario(s.to_dict(), s.file) == s``.
- :meth:`Scenario.with_override` edits that document at one key path and
  parses it again, so an override is validated exactly like a file.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..core import codes, grams
from ..core.reassembly import Limits
from ..errors import MISSING, ScenarioError, Text, show
from ..sim import impairments as _imp

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
    "load_scenario",
    "parse_override",
    "parse_scenario",
    "check_path",
]

#: The Doer classes a scenario may compare.
DOERS = ("PeerMemoerDoer", "SafePeerMemoerDoer")
#: Host of a peer that names none: every scenario also runs over UDP loopback.
DEFAULT_HOST = "127.0.0.1"
#: Largest gram, header and signature included: the UDP limit (IPv6 MTU 1280 - 40).
MAX_GRAM_SIZE = codes.UdpMaxGramSize
#: Largest memo: a receiver with default Limits holds no more partial bytes per source.
MAX_MEMO_BYTES = Limits().max_bytes_per_source
#: Memo size distributions of a workload.
SIZE_DISTS = ("fixed", "uniform", "lognormal")
#: Wildcard peer reference: every peer (in links and workloads).
ALL = "*"

#: Limits of one scenario, so that a typo or a hostile file is refused with one
#: line instead of exhausting memory or CPU (docs/scenarios.md, "Limits").
MAX_FILE_BYTES = 1 << 20
"""Largest scenario file (1 MiB)."""
MAX_DEPTH = 10
"""Tables and arrays nested inside each other, the document itself included."""
MAX_PEERS = 256
"""``[[peers]]`` entries."""
MAX_LINK_PAIRS = 65_536
"""Directed (src, dst) pairs covered by all ``[[links]]`` entries together."""
MAX_MEMOS = 100_000
"""Memos sent in one run (every workload and pair)."""
MAX_WORKLOAD_BYTES = 256 << 20
"""Bytes of memos one run may queue (count x pairs x largest memo, summed)."""
MAX_PASSES = 1_000_000
"""Doist passes of one run: duration_s / tock_s."""
MIN_TOCK_S = 1e-4
"""Shortest tock: a udp run paces one pass per tock in real time."""
MAX_DURATION_S = 86_400.0
"""Longest run (a day of tyme)."""
LIMITS = {
    "file bytes": MAX_FILE_BYTES, "nesting depth": MAX_DEPTH, "peers": MAX_PEERS,
    "link pairs": MAX_LINK_PAIRS, "memos per run": MAX_MEMOS,
    "memo bytes per run": MAX_WORKLOAD_BYTES, "passes per run": MAX_PASSES,
    "tock_s minimum": MIN_TOCK_S, "duration_s maximum": MAX_DURATION_S,
}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")
#: A scenario name: it names a results directory, so no path separators, no "..".
_SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

_TOP_KEYS = ("scenario", "defaults", "peers", "links", "partitions", "workload")
_SCENARIO_KEYS = ("name", "description", "duration_s", "seed", "tock_s", "doers")
_GRAM_KEYS = ("gram_size", "curt", "signed", "acked")
_PEER_KEYS = ("name", "host", "port", *_GRAM_KEYS)
_LINK_ENDS = ("src", "dst", "both")
_LINK_KEYS = (*_LINK_ENDS, *_imp.KEYS)
_PARTITION_KEYS = ("peers", "start_s", "end_s")
_WORKLOAD_KEYS = ("src", "dst", "count", "interval_s", "rate_per_s", "start_s", "memo_size")
_SIZE_KEYS = {
    "fixed": ("dist", "bytes"),
    "uniform": ("dist", "min", "max"),
    "lognormal": ("dist", "median", "sigma", "min", "max"),
}
# Names people are likely to reach for, by table, and the key meant.
_HINTS: dict[str, dict[str, str]] = {
    "": {"workloads": "workload", "link": "links", "peer": "peers", "partition": "partitions"},
    "scenario": {"duration": "duration_s", "tock": "tock_s", "doer": "doers"},
    "defaults": {"size": "gram_size", "binary": "curt", "auth": "signed", "sure": "acked"},
    "peers": {"size": "gram_size", "binary": "curt", "auth": "signed", "sure": "acked"},
    "partitions": {"hosts": "peers", "start": "start_s", "end": "end_s"},
    "workload": {"size": "memo_size", "rate": "rate_per_s", "interval": "interval_s", "start": "start_s"},
}


# ------------------------------------------------------------------- model


class _Grams:
    """What a peer's gram settings imply (shared by PeerDefaults and PeerSpec)."""

    gram_size: int
    curt: bool
    signed: bool
    acked: bool

    @property
    def code(self) -> str:
        """The zeroth-gram code this peer sends (its later grams use the paired code)."""
        return _zero_code(self.signed, self.acked)

    @property
    def overhead(self) -> int:
        """Header and signature bytes of the zeroth gram (the larger overhead)."""
        return codes.overhead(self.code, self.curt)

    @property
    def bodies(self) -> tuple[int, int]:
        """Body bytes of a full zeroth gram and of a full later gram."""
        s = grams.sizing(self.code, self.curt, self.gram_size)
        return s.zeroth_body, s.later_body

    def gram_count(self, memo_bytes: int) -> int:
        """Grams a memo of this many bytes is split into."""
        zeroth, later = self.bodies
        if memo_bytes <= zeroth:
            return 1
        return 1 + -(-(memo_bytes - zeroth) // later)


@dataclass(frozen=True)
class PeerDefaults(_Grams):
    """The ``[defaults]`` table: gram settings of every peer that sets none."""

    gram_size: int = MAX_GRAM_SIZE
    """Largest gram in bytes, header and signature included (hio's ``size``)."""
    curt: bool = False
    """Binary (Base2) headers instead of text (Base64) headers."""
    signed: bool = False
    """Signed (Auth) codes; keys come from the run seed and the peer name."""
    acked: bool = True
    """Acked (Sure) codes; plain codes when false."""


@dataclass(frozen=True)
class PeerSpec(_Grams):
    """One ``[[peers]]`` entry with its gram settings resolved."""

    name: str
    host: str
    port: int
    gram_size: int
    curt: bool
    signed: bool
    acked: bool
    overrides: tuple[str, ...] = ()
    """Which of gram_size, curt, signed, acked the entry sets itself."""

    @property
    def addr(self) -> tuple[str, int]:
        """(host, port): where the peer listens."""
        return (self.host, self.port)


@dataclass(frozen=True)
class LinkSpec:
    """One ``[[links]]`` entry as written, ends resolved to peer names."""

    src: str
    """Sending peer's name, or ``"*"`` for every peer."""
    dst: str
    """Receiving peer's name, or ``"*"`` for every peer."""
    both: bool
    """Also applies from dst to src."""
    impairments: Mapping[str, Any]
    """The validated impairment tables (loss, delay, ...) as written, read-only."""
    config: _imp.LinkConfig
    """The same impairments built by memosim.sim.impairments."""

    @property
    def specificity(self) -> int:
        """2 for name -> name, 1 when one end is ``"*"``, 0 for ``"*" -> "*"``."""
        return (self.src != ALL) + (self.dst != ALL)


@dataclass(frozen=True)
class PartitionSpec:
    """One ``[[partitions]]`` entry: ``peers`` are cut off from all others."""

    peers: tuple[str, ...]
    start_s: float
    end_s: float | None
    """None: the partition never heals."""

    def active(self, t: float) -> bool:
        """True at tyme t in [start_s, end_s)."""
        return self.start_s <= t and (self.end_s is None or t < self.end_s)

    def cuts(self, a: str, b: str, t: float) -> bool:
        """True when this partition drops traffic between peers a and b at tyme t."""
        return self.active(t) and ((a in self.peers) != (b in self.peers))


@dataclass(frozen=True)
class SizeSpec:
    """A memo size distribution, in bytes."""

    dist: str
    """One of SIZE_DISTS."""
    bytes: int | None = None
    """fixed: every memo's size."""
    min: int | None = None
    """uniform, lognormal: smallest size."""
    max: int | None = None
    """uniform, lognormal: largest size."""
    median: float | None = None
    """lognormal: median size."""
    sigma: float | None = None
    """lognormal: standard deviation of the size's natural log."""

    @property
    def largest(self) -> int:
        """Largest memo this distribution gives."""
        return self.bytes if self.dist == "fixed" else self.max  # type: ignore[return-value]

    @property
    def smallest(self) -> int:
        """Smallest memo this distribution gives."""
        return self.bytes if self.dist == "fixed" else self.min  # type: ignore[return-value]

    def sample(self, rng: Any) -> int:
        """Draw one size using only ``rng.random()`` (seeded streams stay portable)."""
        if self.dist == "fixed":
            return self.bytes  # type: ignore[return-value]
        lo, hi = self.min, self.max
        assert lo is not None and hi is not None
        if self.dist == "uniform":
            return min(hi, lo + int(rng.random() * (hi - lo + 1)))
        assert self.median is not None and self.sigma is not None
        z = math.sqrt(-2.0 * math.log(1.0 - rng.random())) * math.cos(math.tau * rng.random())
        return max(lo, min(hi, round(self.median * math.exp(self.sigma * z))))

    def to_dict(self) -> dict[str, Any]:
        """The ``memo_size`` table."""
        out: dict[str, Any] = {"dist": self.dist}
        for key in _SIZE_KEYS[self.dist][1:]:
            out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class WorkloadSpec:
    """One ``[[workload]]`` entry: each (src, dst) pair sends ``count`` memos."""

    src: str | tuple[str, ...]
    """``"*"`` or the sending peers' names."""
    dst: str | tuple[str, ...]
    """``"*"`` or the receiving peers' names."""
    count: int
    """Memos sent by each (src, dst) pair."""
    interval_s: float | None
    """Tyme between one pair's memos (given instead of rate_per_s)."""
    rate_per_s: float | None
    """Memos per second of one pair (given instead of interval_s)."""
    start_s: float
    """Tyme of each pair's first memo."""
    memo_size: SizeSpec
    pairs: tuple[tuple[str, str], ...]
    """Every (src, dst) pair, src != dst, in peer order."""

    @property
    def period_s(self) -> float:
        """Tyme between one pair's successive memos."""
        if self.interval_s is not None:
            return self.interval_s
        return 1.0 / self.rate_per_s  # type: ignore[operator]

    @property
    def end_s(self) -> float:
        """Tyme of the last memo (start_s when count is 0 or 1)."""
        return self.start_s + max(self.count - 1, 0) * self.period_s

    def times(self) -> tuple[float, ...]:
        """Tymes at which each pair queues its memos."""
        period = self.period_s
        return tuple(self.start_s + i * period for i in range(self.count))


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
    peers: tuple[PeerSpec, ...]
    links: tuple[LinkSpec, ...]
    partitions: tuple[PartitionSpec, ...]
    workload: tuple[WorkloadSpec, ...]
    routes: Mapping[tuple[str, str], LinkSpec] = field(compare=False, repr=False)
    """The link of each directed (src, dst) pair that has one (most specific wins)."""

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
        """The canonical document: defaults filled in, references as peer names."""
        return {
            "scenario": {
                "name": self.name,
                "description": self.description,
                "duration_s": self.duration_s,
                "seed": self.seed,
                "tock_s": self.tock_s,
                "doers": list(self.doers),
            },
            "defaults": {k: getattr(self.defaults, k) for k in _GRAM_KEYS},
            "peers": [
                {"name": p.name, "host": p.host, "port": p.port}
                | {k: getattr(p, k) for k in p.overrides}
                for p in self.peers
            ],
            "links": [
                {"src": k.src, "dst": k.dst, "both": k.both} | _thaw(k.impairments)
                for k in self.links
            ],
            "partitions": [
                {"peers": list(p.peers), "start_s": p.start_s}
                | ({} if p.end_s is None else {"end_s": p.end_s})
                for p in self.partitions
            ],
            "workload": [_workload_dict(w) for w in self.workload],
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

    def with_overrides(self, overrides: Mapping[str, Any] | Iterable[tuple[str, Any]]
                       ) -> Scenario:
        """Like with_override for several paths at once, validated as a whole.

        Chaining with_override would judge each intermediate scenario, which can
        reject a valid combination (a larger count with a shorter interval).
        """
        pairs = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
        label = f"{self.file} with " + ", ".join(f"{p} = {show(v)}" for p, v in pairs)
        doc = self.to_dict()
        for path, value in pairs:
            _assign(doc, _split_path(path, label), value, label)
        try:
            return parse_scenario(doc, self.file)
        except ScenarioError as ex:
            raise ScenarioError(label, ex.path, ex.expected, ex.found) from None


def check_path(path: str, label: str) -> None:
    """Raise ScenarioError (file `label`) unless path is a well-formed key path."""
    _split_path(path, label)


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


def _zero_code(signed: bool, acked: bool) -> str:
    dex = codes.MemoDex
    if signed:
        return dex.GramSureAuthZero if acked else dex.GramAuthZero
    return dex.GramSureZero if acked else dex.GramZero


def _freeze(x: Any) -> Any:
    if isinstance(x, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return tuple(_freeze(v) for v in x)
    return x


def _thaw(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {k: _thaw(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_thaw(v) for v in x]
    return x


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
        raise ScenarioError(file, "", f"a scenario file of at most {MAX_FILE_BYTES:,} bytes",
                            Text("a larger file"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as ex:
        line = raw.count(b"\n", 0, ex.start) + 1
        raise ScenarioError(file, f"line {line}", "UTF-8 text", Text(f"byte 0x{raw[ex.start]:02x}")) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as ex:
        raise _syntax_error(file, str(ex)) from None
    except RecursionError:
        raise ScenarioError(file, "", f"tables and arrays nested at most {MAX_DEPTH} deep",
                            Text("nesting too deep to read")) from None
    return parse_scenario(data, file)


def _check_depth(data: Any) -> None:
    """Raise _Bad at the first value nested deeper than MAX_DEPTH (no recursion)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        items: Iterable[tuple[str, Any]]
        if isinstance(node, Mapping):
            items = ((_at(path, str(k)), v) for k, v in node.items())
        elif isinstance(node, (list, tuple)):
            items = ((f"{path}[{i}]", v) for i, v in enumerate(node))
        else:
            continue
        if depth > MAX_DEPTH:
            raise _Bad(path, f"tables and arrays nested at most {MAX_DEPTH} deep",
                       Text(f"{depth} levels"))
        stack.extend((v, p, depth + 1) for p, v in items)


def default_name(file: str) -> str:
    """The name of a scenario that gives none: its file's stem, with every run of
    characters a name cannot hold replaced by "-" ("my run (2).toml" -> "my-run-2")."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(file).stem).lstrip("._-").rstrip("-")
    return stem[:64] or "scenario"


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
        return _parse(data, file)
    except _Bad as ex:
        raise ScenarioError(file, ex.path, ex.expected, ex.found) from None


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


# -------------------------------------------------------------- validation


class _Bad(Exception):
    """One invalid value; parse_scenario adds the file name."""

    def __init__(self, path: str, expected: str, found: Any) -> None:
        super().__init__(path, expected, found)
        self.path, self.expected, self.found = path, expected, found


def _at(path: str, key: Any) -> str:
    key = str(key)
    if not _BARE_KEY.fullmatch(key):
        key = show(key)
    return f"{path}.{key}" if path else key


def _suggest(word: str, choices: Iterable[str], hints: Mapping[str, str] | None = None) -> str | None:
    choices = list(choices)
    if hints and word in hints and hints[word] in choices:
        return hints[word]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == word.lower()]
    return close[0] if close else None


def _unknown(value: Any, choices: Iterable[str], hints: Mapping[str, str] | None = None) -> Any:
    """The found value, with a "did you mean" when a choice is close."""
    guess = _suggest(str(value), choices, hints) if isinstance(value, str) else None
    return Text(f'{show(value)} (did you mean "{guess}"?)') if guess else value


def _check_keys(d: Mapping, path: str, known: tuple[str, ...], hints: str | None = None) -> None:
    for key in d:
        if key not in known:
            guess = _suggest(str(key), known, _HINTS.get(hints if hints is not None else path))
            found = f'an unknown key (did you mean "{guess}"?)' if guess else "an unknown key"
            raise _Bad(_at(path, key), f"one of the keys {', '.join(known)}", Text(found))


def _table(x: Any, path: str, expected: str) -> Mapping:
    if not isinstance(x, Mapping):
        raise _Bad(path, expected, x)
    return x


def _tables(x: Any, path: str, expected: str) -> list[Mapping]:
    if not isinstance(x, (list, tuple)):
        raise _Bad(path, expected, x)
    for i, item in enumerate(x):
        if not isinstance(item, Mapping):
            raise _Bad(f"{path}[{i}]", "a table", item)
    return list(x)


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _number(d: Mapping, key: str, path: str, expected: str, ok: Callable[[float], bool], default: Any = MISSING) -> float:
    x = d.get(key, default)
    if not _is_num(x) or not ok(x):
        raise _Bad(_at(path, key), expected, x)
    return float(x)


def _positive(d: Mapping, key: str, path: str, default: Any = MISSING) -> float:
    return _number(d, key, path, "a number > 0", lambda v: v > 0, default)


def _nonneg(d: Mapping, key: str, path: str, default: Any = MISSING) -> float:
    return _number(d, key, path, "a number >= 0", lambda v: v >= 0, default)


def _integer(d: Mapping, key: str, path: str, lo: int, hi: int | None = None, default: Any = MISSING, why: str = "") -> int:
    x = d.get(key, default)
    if isinstance(x, bool) or not isinstance(x, int) or x < lo or (hi is not None and x > hi):
        expected = f"an integer in [{lo}, {hi}]" if hi is not None else f"an integer >= {lo}"
        raise _Bad(_at(path, key), expected + why, x)
    return x


def _bool(d: Mapping, key: str, path: str, default: Any = MISSING) -> bool:
    x = d.get(key, default)
    if not isinstance(x, bool):
        raise _Bad(_at(path, key), "true or false", x)
    return x


def _string(d: Mapping, key: str, path: str, default: Any = MISSING) -> str:
    x = d.get(key, default)
    if not isinstance(x, str):
        raise _Bad(_at(path, key), "a string", x)
    return x


def _parse(data: Any, file: str) -> Scenario:
    doc = _table(data, "", "a TOML document (a table of tables)")
    _check_depth(doc)
    _check_keys(doc, "", _TOP_KEYS)

    sc = _table(doc.get("scenario", MISSING), "scenario", "a table [scenario] with at least duration_s")
    _check_keys(sc, "scenario", _SCENARIO_KEYS)
    name = _string(sc, "name", "scenario", default_name(file))
    if not _SCENARIO_NAME.fullmatch(name):
        raise _Bad("scenario.name", "a name of letters, digits, _ . - starting with a letter "
                   "or digit (at most 64; it names the results directory)", name)
    description = _string(sc, "description", "scenario", "")
    duration = _number(sc, "duration_s", "scenario", f"a number in (0, {MAX_DURATION_S:g}]",
                       lambda v: 0 < v <= MAX_DURATION_S)
    seed = sc.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _Bad("scenario.seed", "an integer", seed)
    tock = _number(
        sc, "tock_s", "scenario", f"a number in [{MIN_TOCK_S:g}, duration_s = {duration:g}]",
        lambda v: MIN_TOCK_S <= v <= duration, 0.005,
    )
    if duration / tock > MAX_PASSES:
        raise _Bad("scenario.tock_s", f"a tock giving at most {MAX_PASSES:,} passes per run "
                   f"(duration_s / tock_s; here at least {duration / MAX_PASSES:g})", tock)
    doers = _doers(sc.get("doers", list(DOERS)))

    dd = _table(doc.get("defaults", {}), "defaults", "a table [defaults]")
    _check_keys(dd, "defaults", _GRAM_KEYS)
    defaults = PeerDefaults(**_gram_fields(dd, "defaults", None, ""))

    peers = _peers(doc.get("peers", MISSING), defaults)
    names = _Names(peers)
    links, routes = _links(doc.get("links", []), names)
    partitions = tuple(_partition(p, f"partitions[{i}]", names, duration)
                       for i, p in enumerate(_tables(doc.get("partitions", []), "partitions",
                                                     "an array of tables [[partitions]]")))
    work = _tables(doc.get("workload", MISSING), "workload", "an array of tables [[workload]]")
    if not work:
        raise _Bad("workload", "at least one [[workload]] entry", work)
    workload = tuple(_workload(w, f"workload[{i}]", names, duration) for i, w in enumerate(work))
    memos = total = 0
    for i, w in enumerate(workload):
        memos += w.count * len(w.pairs)
        total += w.count * len(w.pairs) * w.memo_size.largest
        if memos > MAX_MEMOS:
            raise _Bad(f"workload[{i}].count", f"at most {MAX_MEMOS:,} memos per run, every "
                       "workload and pair together", Text(f"{w.count:,} x {len(w.pairs):,} pairs, "
                                                          f"{memos:,} memos so far"))
        if total > MAX_WORKLOAD_BYTES:
            raise _Bad(f"workload[{i}].memo_size", f"at most {MAX_WORKLOAD_BYTES >> 20} MiB of "
                       "memos per run (count x pairs x largest memo, summed)",
                       Text(f"{total / (1 << 20):,.0f} MiB so far"))
    return Scenario(
        file=file, name=name, description=description, duration_s=duration, seed=seed,
        tock_s=tock, doers=doers, defaults=defaults, peers=peers, links=links,
        partitions=partitions, workload=workload, routes=MappingProxyType(routes),
    )


def _doers(x: Any) -> tuple[str, ...]:
    expected = f"a non-empty array of Doer names from {', '.join(DOERS)}"
    if not isinstance(x, (list, tuple)) or not x:
        raise _Bad("scenario.doers", expected, x)
    seen: list[str] = []
    for i, d in enumerate(x):
        if d not in DOERS:
            raise _Bad(f"scenario.doers[{i}]", " or ".join(f'"{n}"' for n in DOERS), _unknown(d, DOERS))
        if d in seen:
            raise _Bad(f"scenario.doers[{i}]", "each Doer once", d)
        seen.append(d)
    return tuple(seen)


def _gram_fields(d: Mapping, path: str, base: PeerDefaults | None, name: str) -> dict[str, Any]:
    """gram_size, curt, signed, acked of a table, inheriting from base."""
    curt = _bool(d, "curt", path, base.curt if base else False)
    signed = _bool(d, "signed", path, base.signed if base else False)
    acked = _bool(d, "acked", path, base.acked if base else True)
    oz = codes.overhead(_zero_code(signed, acked), curt)
    kinds = [k for k, on in (("signed", signed), ("acked", acked)) if on] or ["plain"]
    what = " ".join([*kinds, "binary" if curt else "text"])
    head = f"{oz} bytes of header and signature" if signed else f"{oz} header bytes"
    expected = f"an integer in [{oz + 1}, {MAX_GRAM_SIZE}]"
    if base is None or "gram_size" in d:
        why = f" ({what} grams carry {head})"
        size = _integer(d, "gram_size", path, oz + 1, MAX_GRAM_SIZE, MAX_GRAM_SIZE, why)
    else:
        size = base.gram_size
        if size <= oz:
            raise _Bad("defaults.gram_size", f"{expected} (peer {name} sends {what} grams with {head})", size)
    return {"gram_size": size, "curt": curt, "signed": signed, "acked": acked}


def _peers(x: Any, defaults: PeerDefaults) -> tuple[PeerSpec, ...]:
    items = _tables(x, "peers", "an array of tables [[peers]] (at least two)")
    if len(items) < 2:
        raise _Bad("peers", "at least two [[peers]] entries", Text(f"{len(items)}"))
    if len(items) > MAX_PEERS:
        raise _Bad("peers", f"at most {MAX_PEERS} [[peers]] entries", Text(f"{len(items):,}"))
    out: list[PeerSpec] = []
    names: dict[str, int] = {}
    addrs: dict[tuple[str, int], int] = {}
    for i, d in enumerate(items):
        path = f"peers[{i}]"
        _check_keys(d, path, _PEER_KEYS, "peers")
        name = d.get("name", MISSING)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise _Bad(_at(path, "name"), "a name of letters, digits, _ . - starting with a letter (at most 32)", name)
        if name in names:
            raise _Bad(_at(path, "name"), "a name no other peer has", Text(f"{show(name)}, the name of peers[{names[name]}]"))
        names[name] = i
        host = _host(d, path)
        port = _integer(d, "port", path, 1, 65535)
        if (host, port) in addrs:
            raise _Bad(_at(path, "port"), "an address no other peer has",
                       Text(f"{port}, making {_addr(host, port)} the address of peers[{addrs[host, port]}]"))
        addrs[host, port] = i
        peer = PeerSpec(
            name=name, host=host, port=port, **_gram_fields(d, path, defaults, name),
            overrides=tuple(k for k in _GRAM_KEYS if k in d),
        )
        out.append(peer)
    return tuple(out)


def _addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _host(d: Mapping, path: str) -> str:
    x = d.get("host", DEFAULT_HOST)
    try:
        if not isinstance(x, str):
            raise ValueError
        return str(ipaddress.ip_address(x))
    except ValueError:
        raise _Bad(_at(path, "host"), "an IPv4 or IPv6 address", x) from None


class _Names:
    """Resolves peer references: a name, the host of exactly one peer, or "*"."""

    def __init__(self, peers: tuple[PeerSpec, ...]) -> None:
        self.names = tuple(p.name for p in peers)
        self.hosts: dict[str, list[str]] = {}
        for p in peers:
            self.hosts.setdefault(p.host, []).append(p.name)

    def expected(self, star: bool) -> str:
        shown = ", ".join(self.names[:8]) + (", ..." if len(self.names) > 8 else "")
        tail = ', or "*" for every peer' if star else ""
        return f"a peer name ({shown}) or the host of exactly one peer{tail}"

    def one(self, x: Any, path: str, star: bool) -> str:
        if star and x == ALL:
            return ALL
        if isinstance(x, str):
            if x in self.names:
                return x
            try:
                host = str(ipaddress.ip_address(x))
            except ValueError:
                host = None
            if host is not None and host in self.hosts:
                held = self.hosts[host]
                if len(held) == 1:
                    return held[0]
                raise _Bad(path, self.expected(star), Text(f"{show(x)}, the host of {len(held)} peers"))
        raise _Bad(path, self.expected(star), _unknown(x, self.names))

    def many(self, x: Any, path: str, star: bool) -> str | tuple[str, ...]:
        """One reference or an array of them; "*" stays "*"."""
        if isinstance(x, (list, tuple)):
            if not x:
                raise _Bad(path, "a non-empty array of peer names", x)
            out: list[str] = []
            for i, ref in enumerate(x):
                name = self.one(ref, f"{path}[{i}]", star=False)
                if name in out:
                    raise _Bad(f"{path}[{i}]", "each peer once", ref)
                out.append(name)
            return tuple(out)
        name = self.one(x, path, star)
        return name if name == ALL else (name,)

    def expand(self, ref: str | tuple[str, ...]) -> tuple[str, ...]:
        if ref == ALL:
            return self.names
        return (ref,) if isinstance(ref, str) else ref


def _links(x: Any, names: _Names) -> tuple[tuple[LinkSpec, ...], dict[tuple[str, str], LinkSpec]]:
    items = _tables(x, "links", "an array of tables [[links]]")
    links: list[LinkSpec] = []
    routes: dict[tuple[str, str], LinkSpec] = {}
    owner: dict[tuple[str, str], int] = {}
    covered = 0
    for i, d in enumerate(items):
        path = f"links[{i}]"
        _check_keys(d, path, _LINK_KEYS, "links")
        src = names.one(d.get("src", MISSING), _at(path, "src"), star=True)
        dst = names.one(d.get("dst", MISSING), _at(path, "dst"), star=True)
        if src == dst and src != ALL:
            raise _Bad(_at(path, "dst"), "a peer other than src", d.get("dst"))
        both = _bool(d, "both", path, False)
        covered += len(names.expand(src)) * len(names.expand(dst)) * (2 if both else 1)
        if covered > MAX_LINK_PAIRS:
            raise _Bad(path, f"links covering at most {MAX_LINK_PAIRS:,} directed pairs together",
                       Text(f"{covered:,} pairs so far"))
        spec = {k: v for k, v in d.items() if k not in _LINK_ENDS}
        link = LinkSpec(src, dst, both, _freeze(spec), _build_impairments(spec, path))
        links.append(link)
        pairs = [(a, b) for a in names.expand(src) for b in names.expand(dst) if a != b]
        if both:
            pairs += [(b, a) for a, b in pairs]
        for pair in pairs:
            if pair in owner:
                j = owner[pair]
                if j == i or links[j].specificity > link.specificity:
                    continue
                if links[j].specificity == link.specificity:
                    raise _Bad(path, "one entry per directed pair (a more specific entry may override a \"*\" one)",
                               Text(f"{pair[0]} -> {pair[1]} again, as in links[{j}]"))
            owner[pair] = i
            routes[pair] = link
    order = {p: k for k, p in enumerate((a, b) for a in names.names for b in names.names if a != b)}
    return tuple(links), dict(sorted(routes.items(), key=lambda kv: order[kv[0]]))


def _build_impairments(spec: Mapping, path: str) -> _imp.LinkConfig:
    """The one call into memosim.sim.impairments; its SpecError becomes ours."""
    try:
        return _imp.build_link_impairments(spec, path)
    except _imp.SpecError as ex:
        found = ex.found
        prefix = "one of the keys "
        if str(found) == "an unknown key" and ex.expected.startswith(prefix):
            key = ex.path.rsplit(".", 1)[-1]
            guess = _suggest(key, ex.expected[len(prefix):].split(", "))
            if guess:
                found = Text(f'an unknown key (did you mean "{guess}"?)')
        raise _Bad(ex.path, ex.expected, found) from None


def _partition(d: Mapping, path: str, names: _Names, duration: float) -> PartitionSpec:
    _check_keys(d, path, _PARTITION_KEYS, "partitions")
    x = d.get("peers", MISSING)
    if not isinstance(x, (list, tuple)):
        raise _Bad(_at(path, "peers"), "a non-empty array of peer names", x)
    cut = names.many(x, _at(path, "peers"), star=False)
    if len(cut) == len(names.names):
        raise _Bad(_at(path, "peers"), "some but not all peers (the rest form the other side)", x)
    start = _number(d, "start_s", path, f"a number in [0, duration_s = {duration:g})", lambda v: 0 <= v < duration)
    end = None
    if "end_s" in d:
        end = _number(d, "end_s", path, f"a number > start_s = {start:g}", lambda v: v > start)
    return PartitionSpec(tuple(cut), start, end)


def _workload(d: Mapping, path: str, names: _Names, duration: float) -> WorkloadSpec:
    _check_keys(d, path, _WORKLOAD_KEYS, "workload")
    src = names.many(d.get("src", MISSING), _at(path, "src"), star=True)
    dst = names.many(d.get("dst", MISSING), _at(path, "dst"), star=True)
    pairs = tuple((a, b) for a in names.expand(src) for b in names.expand(dst) if a != b)
    if not pairs:
        raise _Bad(_at(path, "dst"), "a peer other than the sender", d.get("dst"))
    count = _integer(d, "count", path, 0, MAX_MEMOS, why=" (memos per pair; at most "
                     f"{MAX_MEMOS:,} per run)")
    interval = rate = None
    if "interval_s" in d and "rate_per_s" in d:
        raise _Bad(_at(path, "rate_per_s"), "either interval_s or rate_per_s, not both", d["rate_per_s"])
    if "rate_per_s" in d:
        rate = _positive(d, "rate_per_s", path)
    elif "interval_s" in d:
        interval = _nonneg(d, "interval_s", path)
    else:
        raise _Bad(_at(path, "interval_s"), "a number >= 0 (or rate_per_s, a number > 0)", MISSING)
    start = _number(d, "start_s", path, f"a number in [0, duration_s = {duration:g})", lambda v: 0 <= v < duration, 0.0)
    size = _size(d.get("memo_size", MISSING), _at(path, "memo_size"))
    w = WorkloadSpec(
        src=src if src == ALL else tuple(src), dst=dst if dst == ALL else tuple(dst),
        count=count, interval_s=interval, rate_per_s=rate, start_s=start, memo_size=size, pairs=pairs,
    )
    if w.end_s >= duration:
        raise _Bad(_at(path, "count"),
                   f"a count whose last memo is due before duration_s = {duration:g} "
                   "(start_s + (count - 1) * interval)",
                   Text(f"{count}, the last due at {w.end_s:g}"))
    return w


def _size(x: Any, path: str) -> SizeSpec:
    d = _table(x, path, '{dist = "fixed", bytes = N} or a uniform or lognormal table')
    dist = d.get("dist", MISSING)
    if dist not in SIZE_DISTS:
        raise _Bad(_at(path, "dist"), " or ".join(f'"{n}"' for n in SIZE_DISTS), _unknown(dist, SIZE_DISTS))
    _check_keys(d, path, _SIZE_KEYS[dist], "memo_size")
    cap = MAX_MEMO_BYTES
    if dist == "fixed":
        return SizeSpec(dist, bytes=_integer(d, "bytes", path, 1, cap))
    if dist == "uniform":
        lo = _integer(d, "min", path, 1, cap)
        return SizeSpec(dist, min=lo, max=_integer(d, "max", path, lo, cap))
    lo = _integer(d, "min", path, 1, cap, 1)
    hi = _integer(d, "max", path, lo, cap)
    median = _number(d, "median", path, f"a number in [min = {lo}, max = {hi}]", lambda v: lo <= v <= hi)
    sigma = _nonneg(d, "sigma", path)
    return SizeSpec(dist, min=lo, max=hi, median=median, sigma=sigma)


# ---------------------------------------------------------------- overrides


def _split_path(path: Any, label: str) -> list[str]:
    expected = 'a dotted key path such as "links.0.loss.rate"'
    if not isinstance(path, str):
        raise ScenarioError(label, "", expected, path)
    parts = re.sub(r"\[(\d+)\]", r".\1", path).split(".")
    if not all(_BARE_KEY.fullmatch(p) for p in parts):
        raise ScenarioError(label, "", expected, path)
    return parts


def _assign(doc: dict, parts: list[str], value: Any, label: str) -> None:
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
            here = _at(where, part)
            if not last and part not in node:
                if parts[k + 1].isdigit():
                    raise ScenarioError(label, here, "an existing array", MISSING)
                node[part] = {}
        else:
            raise ScenarioError(label, where, "a table or an array", node)
        if last:
            node[idx] = _thaw(value)
        else:
            node = node[idx]
        where = here
