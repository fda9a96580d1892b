"""Shrinking a failing explore run: the smallest scenario that still fails the same way.

A run that broke an invariant usually carries far more than the fault
needs: hundreds of memos, five impairments, two partitions. Starting from
its document, :func:`shrink` tries smaller variants one at a time, in the
order of :func:`candidates` (drop a workload, a partition or an
impairment; fewer memos; milder impairments; smaller memos; a shorter
run), and keeps the first that still shows a violation of the same kind
(``still_fails``); it starts over from the kept one until no variant fails
or ``budget`` runs are spent. The seed never changes and every random
stream is named after its consumer, so removing one impairment leaves the
draws of the others as they were: a variant differs from its parent by
what was removed, nothing else.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ScenarioError
from .scenario import parse_scenario

__all__ = ["candidates", "shrink"]

Doc = dict[str, Any]

#: Impairments a link may lose, mildest-first is irrelevant: each is tried alone.
_IMPAIRMENTS = ("schedule", "mtu", "rate", "corrupt", "duplicate", "reorder", "loss", "delay")
#: (impairment, field) made milder by halving, and the floor under which it is not halved.
_MILDER = (
    ("loss", "rate", 0.002),
    ("loss", "p", 0.002),
    ("duplicate", "rate", 0.002),
    ("reorder", "rate", 0.002),
    ("corrupt", "rate", 0.002),
    ("delay", "jitter_s", 0.0005),
    ("delay", "base_s", 0.0005),
)


def _edit(doc: Doc, label: str, change: Callable[[Doc], None]) -> tuple[str, Doc]:
    new = copy.deepcopy(doc)
    change(new)
    return label, new


def _pop(key: str, i: int) -> Callable[[Doc], None]:
    def pop(d: Doc) -> None:
        d[key].pop(i)

    return pop


def _last_send(doc: Doc) -> float:
    last = 0.0
    for w in doc["workload"]:
        if w["count"]:
            period = w["interval_s"] if "interval_s" in w else 1.0 / w["rate_per_s"]
            last = max(last, w["start_s"] + (w["count"] - 1) * period)
    return last


def _fewer(n: int) -> list[int]:
    """Smaller counts to try, a bisection's worth: 1, n/2, then n - n/4, n - n/8, ..., n - 1."""
    out, step = [1, n // 2], n // 4
    while step > 0:
        out.append(n - step)
        step //= 2
    return list(dict.fromkeys(out))


def candidates(doc: Doc) -> Iterator[tuple[str, Doc]]:
    """Smaller variants of a scenario document, each with what it changed."""
    work, links, parts = doc["workload"], doc["links"], doc["partitions"]
    if len(work) > 1:
        for i in range(len(work)):
            yield _edit(doc, f"without workload[{i}]", _pop("workload", i))
    for i in range(len(parts)):
        yield _edit(doc, f"without partitions[{i}]", _pop("partitions", i))
    for i, link in enumerate(links):
        for key in _IMPAIRMENTS:
            if key in link:

                def drop(d: Doc, i: int = i, key: str = key) -> None:
                    d["links"][i].pop(key)
                    if key == "delay":
                        d["links"][i].pop("reorder", None)  # reorder needs a delay

                yield _edit(doc, f"links[{i}] without {key}", drop)
    for i, w in enumerate(work):
        for fewer in _fewer(w["count"]):
            if 0 < fewer < w["count"]:

                def count(d: Doc, i: int = i, n: int = fewer) -> None:
                    d["workload"][i]["count"] = n

                yield _edit(doc, f"workload[{i}].count = {fewer}", count)
    for i, link in enumerate(links):
        for key, field, floor in _MILDER:
            value = link.get(key, {}).get(field)
            if isinstance(value, float) and value > floor:

                def halve(d: Doc, i: int = i, key: str = key, field: str = field) -> None:
                    d["links"][i][key][field] = round(d["links"][i][key][field] / 2, 6)

                yield _edit(doc, f"links[{i}].{key}.{field} halved", halve)
    for i, p in enumerate(parts):
        if "end_s" in p and p["end_s"] - p["start_s"] > 0.01:

            def shorter(d: Doc, i: int = i) -> None:
                q = d["partitions"][i]
                q["end_s"] = round(q["start_s"] + (q["end_s"] - q["start_s"]) / 2, 6)

            yield _edit(doc, f"partitions[{i}] half as long", shorter)
    for i, w in enumerate(work):
        size = w["memo_size"]
        if max(v for k, v in size.items() if k in ("bytes", "min", "max")) > 1:

            def smaller(d: Doc, i: int = i) -> None:
                s = d["workload"][i]["memo_size"]
                for k in ("bytes", "min", "max"):
                    if k in s:
                        s[k] = max(1, s[k] // 2)
                if "median" in s:
                    s["median"] = min(max(float(s.get("min", 1)), s["median"] / 2), s["max"])

            yield _edit(doc, f"workload[{i}] memos half as large", smaller)
    duration, last = doc["scenario"]["duration_s"], _last_send(doc)
    for shorter_run in (round(last + 1.0, 3), round(last + (duration - last) / 2, 3)):
        if last < shorter_run < duration:

            def cut(d: Doc, t: float = shorter_run) -> None:
                d["scenario"]["duration_s"] = t

            yield _edit(doc, f"duration_s = {shorter_run:g}", cut)


def _valid(doc: Doc, file: str) -> bool:
    try:
        parse_scenario(doc, file)
    except ScenarioError:
        return False
    return True


def shrink(
    doc: Doc,
    file: str,
    still_fails: Callable[[Doc], bool],
    *,
    budget: int = 200,
) -> tuple[Doc, list[str], int]:
    """(smallest failing document, the changes kept in order, runs spent)."""
    kept: list[str] = []
    spent = 0
    improved = True
    while improved and spent < budget:
        improved = False
        for label, cand in candidates(doc):
            if spent >= budget:
                break
            if not _valid(cand, file):
                continue
            spent += 1
            if still_fails(cand):
                doc, improved = cand, True
                kept.append(label)
                break
    return doc, kept, spent
