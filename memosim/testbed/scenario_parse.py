"""Parsing a scenario document: every check a scenario file must pass.

:func:`parse_fields` validates a plain dict (as tomllib returns it) and gives
the fields of a :class:`~memosim.testbed.scenario.Scenario`, or raises one
:class:`~memosim.errors.ScenarioError` without a file (the caller adds it)
naming the key path (``links[1].loss.rate``), what was expected and what was
found. Nothing a document holds makes it raise anything else.

Validation is complete: unknown keys (with "did you mean"), types, ranges,
peer references, duplicate peers and addresses, gram sizes against the header
overhead of each peer's codes and the UDP limit, workloads that would not
finish within the scenario's duration, and the limits of
:mod:`memosim.testbed.limits`. The leaf checks are :mod:`memosim.validation`'s;
a link's impairment tables are checked by
:func:`memosim.sim.impairments.build_link_impairments` alone, and a peer's
``egress`` and ``ingress`` by :func:`memosim.sim.interfaces.build_interface`,
so the network's vocabulary lives in one place.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..core import codes
from ..errors import MISSING, ScenarioError, Text, show
from ..sim import impairments as _imp
from ..sim.interfaces import DIRECTIONS, build_interface
from ..validation import (
    at,
    boolean,
    check_keys,
    choice,
    integer,
    nonneg,
    number,
    positive,
    string,
    table,
    tables,
)
from .doers import parse_doers
from .explore_spec import check_retry_draws, parse_explore
from .hio_rules import check_hio
from .limits import (
    MAX_DEPTH,
    MAX_DURATION_S,
    MAX_LINK_PAIRS,
    MAX_MEMOS,
    MAX_PASSES,
    MAX_PEERS,
    MAX_WORKLOAD_BYTES,
    MIN_TOCK_S,
)
from .peer_refs import PeerRefs
from .retry_table import resolve_retry, retry_table
from .scenario_model import (
    ALL,
    DEFAULT_HOST,
    DOERS,
    GRAM_KEYS,
    IMPLS,
    MAX_GRAM_SIZE,
    MAX_MEMO_BYTES,
    SIZE_DISTS,
    SIZE_KEYS,
    LinkSpec,
    PartitionSpec,
    PeerDefaults,
    PeerSpec,
    SizeSpec,
    WorkloadSpec,
    freeze,
    zero_code,
)

__all__ = ["default_name", "parse_fields"]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")
#: A scenario name: it names a results directory, so no path separators, no "..".
_SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

_TOP_KEYS = ("scenario", "defaults", "retry", "peers", "links", "partitions", "workload", "explore")
_SCENARIO_KEYS = ("name", "description", "duration_s", "seed", "tock_s", "doers")
_PEER_KEYS = ("name", "host", "port", "impl", *GRAM_KEYS, "retry", *DIRECTIONS)
_LINK_ENDS = ("src", "dst", "both")
_LINK_KEYS = (*_LINK_ENDS, *_imp.KEYS)
_PARTITION_KEYS = ("peers", "start_s", "end_s")
_WORKLOAD_KEYS = ("src", "dst", "count", "interval_s", "rate_per_s", "start_s", "memo_size")
# Names people are likely to reach for, by table, and the key meant.
_HINTS: dict[str, dict[str, str]] = {
    "": {"workloads": "workload", "link": "links", "peer": "peers", "partition": "partitions"},
    "scenario": {"duration": "duration_s", "tock": "tock_s", "doer": "doers"},
    "defaults": {"size": "gram_size", "binary": "curt", "auth": "signed", "sure": "acked"},
    "peers": {"size": "gram_size", "binary": "curt", "auth": "signed", "sure": "acked"},
    "partitions": {"hosts": "peers", "start": "start_s", "end": "end_s"},
    "workload": {
        "size": "memo_size",
        "rate": "rate_per_s",
        "interval": "interval_s",
        "start": "start_s",
    },
}


def _check_depth(data: Any) -> None:
    """Raise ScenarioError at the first value nested deeper than MAX_DEPTH (no recursion)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        items: Iterable[tuple[str, Any]]
        if isinstance(node, Mapping):
            items = ((at(path, str(k)), v) for k, v in node.items())
        elif isinstance(node, (list, tuple)):
            items = ((f"{path}[{i}]", v) for i, v in enumerate(node))
        else:
            continue
        if depth > MAX_DEPTH:
            raise ScenarioError(
                "",
                path,
                f"tables and arrays nested at most {MAX_DEPTH} deep",
                Text(f"{depth} levels"),
            )
        stack.extend((v, p, depth + 1) for p, v in items)


def default_name(file: str) -> str:
    """The name of a scenario that gives none: its file's stem, with every run of
    characters a name cannot hold replaced by "-" ("my run (2).toml" -> "my-run-2")."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(file).stem).lstrip("._-").rstrip("-")
    return stem[:64] or "scenario"


def parse_fields(data: Any, file: str) -> dict[str, Any]:
    """The Scenario fields of a document (``file``'s stem is the default name)."""
    doc = table(data, "", "a TOML document (a table of tables)")
    _check_depth(doc)
    check_keys(doc, "", _TOP_KEYS, _HINTS[""])

    sc = table(
        doc.get("scenario", MISSING), "scenario", "a table [scenario] with at least duration_s"
    )
    check_keys(sc, "scenario", _SCENARIO_KEYS, _HINTS["scenario"])
    name = string(sc, "name", "scenario", default_name(file))
    if not _SCENARIO_NAME.fullmatch(name):
        raise ScenarioError(
            "",
            "scenario.name",
            "a name of letters, digits, _ . - starting with a letter "
            "or digit (at most 64; it names the results directory)",
            name,
        )
    description = string(sc, "description", "scenario", "")
    duration = number(
        sc,
        "duration_s",
        "scenario",
        f"a number in (0, {MAX_DURATION_S:g}]",
        lambda v: 0 < v <= MAX_DURATION_S,
    )
    seed = sc.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ScenarioError("", "scenario.seed", "an integer", seed)
    tock = number(
        sc,
        "tock_s",
        "scenario",
        f"a number in [{MIN_TOCK_S:g}, duration_s = {duration:g}]",
        lambda v: MIN_TOCK_S <= v <= duration,
        0.005,
    )
    if duration / tock > MAX_PASSES:
        raise ScenarioError(
            "",
            "scenario.tock_s",
            f"a tock giving at most {MAX_PASSES:,} passes per run "
            f"(duration_s / tock_s; here at least {duration / MAX_PASSES:g})",
            tock,
        )
    doers = parse_doers(sc.get("doers", list(DOERS)))

    dd = table(doc.get("defaults", {}), "defaults", "a table [defaults]")
    check_keys(dd, "defaults", GRAM_KEYS, _HINTS["defaults"])
    defaults = PeerDefaults(**_gram_fields(dd, "defaults", None, ""))
    retry = retry_table(doc.get("retry", {}), "retry")

    peers = _peers(doc.get("peers", MISSING), defaults, retry)
    names = PeerRefs(peers)
    links, routes = _links(doc.get("links", []), names)
    partitions = tuple(
        _partition(p, f"partitions[{i}]", names, duration)
        for i, p in enumerate(
            tables(doc.get("partitions", []), "partitions", "an array of tables [[partitions]]")
        )
    )
    work = tables(doc.get("workload", MISSING), "workload", "an array of tables [[workload]]")
    if not work:
        raise ScenarioError("", "workload", "at least one [[workload]] entry", work)
    workload = tuple(_workload(w, f"workload[{i}]", names, duration) for i, w in enumerate(work))
    check_hio(peers, links, workload)
    memos = total = 0
    for i, w in enumerate(workload):
        memos += w.count * len(w.pairs)
        total += w.count * len(w.pairs) * w.memo_size.largest
        if memos > MAX_MEMOS:
            raise ScenarioError(
                "",
                f"workload[{i}].count",
                f"at most {MAX_MEMOS:,} memos per run, every workload and pair together",
                Text(f"{w.count:,} x {len(w.pairs):,} pairs, {memos:,} memos so far"),
            )
        if total > MAX_WORKLOAD_BYTES:
            raise ScenarioError(
                "",
                f"workload[{i}].memo_size",
                f"at most {MAX_WORKLOAD_BYTES >> 20} MiB of "
                "memos per run (count x pairs x largest memo, summed)",
                Text(f"{total / (1 << 20):,.0f} MiB so far"),
            )
    explore = parse_explore(doc["explore"]) if "explore" in doc else None
    if explore is not None:
        owns = [(f"peers[{i}].retry", p.retry_set) for i, p in enumerate(peers)]
        check_retry_draws(explore, retry, owns)
    return dict(
        name=name,
        description=description,
        duration_s=duration,
        seed=seed,
        tock_s=tock,
        doers=doers,
        defaults=defaults,
        retry=freeze(retry),
        peers=peers,
        links=links,
        partitions=partitions,
        workload=workload,
        routes=MappingProxyType(routes),
        explore=explore,
    )


def _gram_fields(
    d: Mapping[str, Any], path: str, base: PeerDefaults | None, name: str
) -> dict[str, Any]:
    """gram_size, curt, signed, acked of a table, inheriting from base."""
    curt = boolean(d, "curt", path, base.curt if base else False)
    signed = boolean(d, "signed", path, base.signed if base else False)
    acked = boolean(d, "acked", path, base.acked if base else True)
    oz = codes.overhead(zero_code(signed, acked), curt)
    kinds = [k for k, on in (("signed", signed), ("acked", acked)) if on] or ["plain"]
    what = " ".join([*kinds, "binary" if curt else "text"])
    head = f"{oz} bytes of header and signature" if signed else f"{oz} header bytes"
    expected = f"an integer in [{oz + 1}, {MAX_GRAM_SIZE}]"
    if base is None or "gram_size" in d:
        why = f" ({what} grams carry {head})"
        size = integer(d, "gram_size", path, oz + 1, MAX_GRAM_SIZE, MAX_GRAM_SIZE, why)
    else:
        size = base.gram_size
        if size <= oz:
            raise ScenarioError(
                "",
                "defaults.gram_size",
                f"{expected} (peer {name} sends {what} grams with {head})",
                size,
            )
    return {"gram_size": size, "curt": curt, "signed": signed, "acked": acked}


def _peers(x: Any, defaults: PeerDefaults, retry: Mapping[str, Any]) -> tuple[PeerSpec, ...]:
    items = tables(x, "peers", "an array of tables [[peers]] (at least two)")
    if len(items) < 2:
        raise ScenarioError("", "peers", "at least two [[peers]] entries", Text(f"{len(items)}"))
    if len(items) > MAX_PEERS:
        raise ScenarioError(
            "", "peers", f"at most {MAX_PEERS} [[peers]] entries", Text(f"{len(items):,}")
        )
    out: list[PeerSpec] = []
    names: dict[str, int] = {}
    addrs: dict[tuple[str, int], int] = {}
    for i, d in enumerate(items):
        path = f"peers[{i}]"
        check_keys(d, path, _PEER_KEYS, _HINTS["peers"])
        name = d.get("name", MISSING)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ScenarioError(
                "",
                at(path, "name"),
                "a name of letters, digits, _ . - starting with a letter (at most 32)",
                name,
            )
        if name in names:
            raise ScenarioError(
                "",
                at(path, "name"),
                "a name no other peer has",
                Text(f"{show(name)}, the name of peers[{names[name]}]"),
            )
        names[name] = i
        host = _host(d, path)
        port = integer(d, "port", path, 1, 65535)
        if (host, port) in addrs:
            raise ScenarioError(
                "",
                at(path, "port"),
                "an address no other peer has",
                Text(
                    f"{port}, making {_addr(host, port)} the address of peers[{addrs[host, port]}]"
                ),
            )
        addrs[host, port] = i
        rpath = at(path, "retry")
        own = retry_table(d.get("retry", {}), rpath)
        written, built = _interfaces(d, path)
        peer = PeerSpec(
            name=name,
            host=host,
            port=port,
            **_gram_fields(d, path, defaults, name),
            overrides=tuple(k for k in GRAM_KEYS if k in d),
            retry=resolve_retry(retry, own, rpath),
            retry_set=freeze(own),
            interfaces=freeze(written),
            egress=built.get("egress"),
            ingress=built.get("ingress"),
            impl=choice(d.get("impl", "memosim"), at(path, "impl"), IMPLS),
        )
        out.append(peer)
    return tuple(out)


def _interfaces(
    d: Mapping[str, Any], path: str
) -> tuple[dict[str, Any], dict[str, _imp.LinkConfig]]:
    """A peer's egress and ingress tables: as written, and built."""
    written = {key: d[key] for key in DIRECTIONS if key in d}
    built = {key: build_interface(spec, at(path, key)) for key, spec in written.items()}
    return {key: dict(spec) for key, spec in written.items()}, built


def _addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _host(d: Mapping[str, Any], path: str) -> str:
    x = d.get("host", DEFAULT_HOST)
    try:
        if not isinstance(x, str):
            raise ValueError
        return str(ipaddress.ip_address(x))
    except ValueError:
        raise ScenarioError("", at(path, "host"), "an IPv4 or IPv6 address", x) from None


def _links(x: Any, names: PeerRefs) -> tuple[tuple[LinkSpec, ...], dict[tuple[str, str], LinkSpec]]:
    items = tables(x, "links", "an array of tables [[links]]")
    links: list[LinkSpec] = []
    routes: dict[tuple[str, str], LinkSpec] = {}
    owner: dict[tuple[str, str], int] = {}
    covered = 0
    for i, d in enumerate(items):
        path = f"links[{i}]"
        check_keys(d, path, _LINK_KEYS)
        src = names.one(d.get("src", MISSING), at(path, "src"), star=True)
        dst = names.one(d.get("dst", MISSING), at(path, "dst"), star=True)
        if src == dst and src != ALL:
            raise ScenarioError("", at(path, "dst"), "a peer other than src", d.get("dst"))
        both = boolean(d, "both", path, False)
        covered += len(names.expand(src)) * len(names.expand(dst)) * (2 if both else 1)
        if covered > MAX_LINK_PAIRS:
            raise ScenarioError(
                "",
                path,
                f"links covering at most {MAX_LINK_PAIRS:,} directed pairs together",
                Text(f"{covered:,} pairs so far"),
            )
        spec = {k: v for k, v in d.items() if k not in _LINK_ENDS}
        link = LinkSpec(src, dst, both, freeze(spec), _imp.build_link_impairments(spec, path))
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
                    raise ScenarioError(
                        "",
                        path,
                        'one entry per directed pair (a more specific entry may override a "*" one)',
                        Text(f"{pair[0]} -> {pair[1]} again, as in links[{j}]"),
                    )
            owner[pair] = i
            routes[pair] = link
    order = {p: k for k, p in enumerate((a, b) for a in names.names for b in names.names if a != b)}
    return tuple(links), dict(sorted(routes.items(), key=lambda kv: order[kv[0]]))


def _partition(d: Mapping[str, Any], path: str, names: PeerRefs, duration: float) -> PartitionSpec:
    check_keys(d, path, _PARTITION_KEYS, _HINTS["partitions"])
    x = d.get("peers", MISSING)
    if not isinstance(x, (list, tuple)):
        raise ScenarioError("", at(path, "peers"), "a non-empty array of peer names", x)
    cut = names.many(x, at(path, "peers"), star=False)
    if len(cut) == len(names.names):
        raise ScenarioError(
            "", at(path, "peers"), "some but not all peers (the rest form the other side)", x
        )
    start = number(
        d,
        "start_s",
        path,
        f"a number in [0, duration_s = {duration:g})",
        lambda v: 0 <= v < duration,
    )
    end = None
    if "end_s" in d:
        end = number(d, "end_s", path, f"a number > start_s = {start:g}", lambda v: v > start)
    return PartitionSpec(tuple(cut), start, end)


def _workload(d: Mapping[str, Any], path: str, names: PeerRefs, duration: float) -> WorkloadSpec:
    check_keys(d, path, _WORKLOAD_KEYS, _HINTS["workload"])
    src = names.many(d.get("src", MISSING), at(path, "src"), star=True)
    dst = names.many(d.get("dst", MISSING), at(path, "dst"), star=True)
    pairs = tuple((a, b) for a in names.expand(src) for b in names.expand(dst) if a != b)
    if not pairs:
        raise ScenarioError("", at(path, "dst"), "a peer other than the sender", d.get("dst"))
    count = integer(
        d, "count", path, 0, MAX_MEMOS, why=f" (memos per pair; at most {MAX_MEMOS:,} per run)"
    )
    interval = rate = None
    if "interval_s" in d and "rate_per_s" in d:
        raise ScenarioError(
            "", at(path, "rate_per_s"), "either interval_s or rate_per_s, not both", d["rate_per_s"]
        )
    if "rate_per_s" in d:
        rate = positive(d, "rate_per_s", path)
    elif "interval_s" in d:
        interval = nonneg(d, "interval_s", path)
    else:
        raise ScenarioError(
            "", at(path, "interval_s"), "a number >= 0 (or rate_per_s, a number > 0)", MISSING
        )
    start = number(
        d,
        "start_s",
        path,
        f"a number in [0, duration_s = {duration:g})",
        lambda v: 0 <= v < duration,
        0.0,
    )
    size = _size(d.get("memo_size", MISSING), at(path, "memo_size"))
    w = WorkloadSpec(
        src=src if src == ALL else tuple(src),
        dst=dst if dst == ALL else tuple(dst),
        count=count,
        interval_s=interval,
        rate_per_s=rate,
        start_s=start,
        memo_size=size,
        pairs=pairs,
    )
    if w.end_s >= duration:
        raise ScenarioError(
            "",
            at(path, "count"),
            f"a count whose last memo is due before duration_s = {duration:g} "
            "(start_s + (count - 1) * interval)",
            Text(f"{count}, the last due at {w.end_s:g}"),
        )
    return w


def _size(x: Any, path: str) -> SizeSpec:
    d = table(x, path, '{dist = "fixed", bytes = N} or a uniform or lognormal table')
    dist = choice(d.get("dist", MISSING), at(path, "dist"), SIZE_DISTS)
    check_keys(d, path, SIZE_KEYS[dist])
    cap = MAX_MEMO_BYTES
    if dist == "fixed":
        return SizeSpec(dist, bytes=integer(d, "bytes", path, 1, cap))
    if dist == "uniform":
        lo = integer(d, "min", path, 1, cap)
        return SizeSpec(dist, min=lo, max=integer(d, "max", path, lo, cap))
    lo = integer(d, "min", path, 1, cap, 1)
    hi = integer(d, "max", path, lo, cap)
    median = number(
        d, "median", path, f"a number in [min = {lo}, max = {hi}]", lambda v: lo <= v <= hi
    )
    sigma = nonneg(d, "sigma", path)
    return SizeSpec(dist, min=lo, max=hi, median=median, sigma=sigma)
