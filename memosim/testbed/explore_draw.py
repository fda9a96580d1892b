"""One explore run's draw: a seed and a network of faults, as a plain scenario document.

Run ``i`` of ``memosim explore --seed S`` draws from its own stream
(``explore:run:<i>`` under S, :class:`memosim.sim.rng.Streams`), so a run's
draw depends on S and i alone: the same whatever the number of runs, of
workers, or the order they finish in. The result is the scenario's
canonical document with the seed, the links, the partitions and the
workload counts and sizes replaced, and no ``[explore]`` table: a complete
scenario that ``memosim run`` replays exactly.

What is drawn (the ranges are the scenario's ``[explore]`` table,
:mod:`memosim.testbed.explore_spec`):

- every directed pair that carries traffic (each workload pair, both ways,
  since acks flow back) gets a link of its own: each impairment with its
  chance ``p``, its strength uniformly in its range; loss is Gilbert-Elliott
  with chance ``gilbert_elliott.p``, else Bernoulli; reorder only on a
  delayed link; ``link_down`` gives the link a schedule of outages;
- ``partitions.count`` partitions, each cutting one sending peer off from
  a uniform start for ``length_s``; partitions and outages start while
  there is traffic (before the last memo is queued, plus 10 s);
- each workload's count and memo sizes scaled by a factor in ``workload``'s
  ranges (at least one memo of one byte);
- when the table turns them on: a bottleneck (``rate``) and a small
  ``mtu`` on a link, each with its chance ``p``, and with chance
  ``retry.p`` one set of retry settings (policy, window, congestion
  control, tries) laid over the file's ``[retry]`` and every peer's own.

The bottleneck, MTU and retry draws come from streams of their own
(``explore:run:<i>:rate``, ``...:mtu``, ``...:retry``): turning them on or
off leaves the rest of every run's draw as it was, so an exploration
repeats with the same seed after the table gains a key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from ..sim.rng import Streams
from .explore_spec import DEFAULTS
from .scenario import Scenario

__all__ = ["draw_run", "run_pairs"]

Draw = Callable[[], float]


def _u(r: Draw, lo: float, hi: float, digits: int = 4) -> float:
    return round(lo + (hi - lo) * r(), digits)


def _u3(r: Draw, span: tuple[float, float]) -> float:
    """A draw in span, to the millisecond (tymes)."""
    return _u(r, span[0], span[1], 3)


def _n(r: Draw, lo: int, hi: int) -> int:
    return min(hi, lo + int(r() * (hi - lo + 1)))


def run_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """Directed pairs with traffic: each workload pair and its reverse, in first-use order."""
    out: dict[tuple[str, str], None] = {}
    for src, dst in scenario.pairs():
        out[(src, dst)] = None
        out[(dst, src)] = None
    return list(out)


def _link(
    r: Draw,
    src: str,
    dst: str,
    x: Mapping[str, Mapping[str, Any]],
    duration: float,
    hio: frozenset[str] = frozenset(),
) -> Any:
    link: dict[str, Any] = {"src": src, "dst": dst, "both": False}
    loss, ge = x["loss"], x["gilbert_elliott"]
    if r() < loss["p"]:
        if r() < ge["p"]:
            link["loss"] = {
                "model": "gilbert_elliott",
                "p": _u(r, *ge["enter"]),
                "r": max(_u(r, *ge["leave"]), 0.0001),
            }
        else:
            link["loss"] = {"rate": _u(r, *loss["rate"])}
    delay = x["delay"]
    if r() < delay["p"]:
        link["delay"] = {"base_s": _u(r, *delay["base_s"]), "jitter_s": _u(r, *delay["jitter_s"])}
        if r() < x["reorder"]["p"]:
            link["reorder"] = {"rate": _u(r, *x["reorder"]["rate"])}
    if r() < x["duplicate"]["p"]:
        link["duplicate"] = {"rate": _u(r, *x["duplicate"]["rate"])}
    corrupt = x["corrupt"]
    if r() < corrupt["p"]:
        deliver = r() < corrupt["deliver"]  # drawn either way: the stream stays the same
        # damage delivered into a hio peer can raise out of hio's own service
        # loop (docs/hio-peers.md): into one, corrupted datagrams are dropped
        link["corrupt"] = {"rate": _u(r, *corrupt["rate"]), "deliver": deliver and dst not in hio}
    down = x["link_down"]
    if r() < down["p"]:
        starts = sorted(_u(r, 0.0, duration, 3) for _ in range(_n(r, *down["count"])))
        events, up = [], 0.0
        for start in starts:
            start = max(start, up)
            up = round(start + _u3(r, down["length_s"]), 3)
            events += [{"at": start, "state": "down"}, {"at": up, "state": "up"}]
        if events:
            link["schedule"] = events
    return link


def _bottleneck(r: Draw, link: dict[str, Any], x: Mapping[str, Mapping[str, Any]]) -> None:
    rate = x["rate"]
    if r() < rate["p"]:
        link["rate"] = {
            "bps": round(rate["bps"][0] + (rate["bps"][1] - rate["bps"][0]) * r()),
            "queue_limit": _n(r, *rate["queue_limit"]),
        }


def _mtu(r: Draw, link: dict[str, Any], x: Mapping[str, Mapping[str, Any]]) -> None:
    mtu = x["mtu"]
    if r() < mtu["p"]:
        link["mtu"] = _n(r, *mtu["bytes"])


def _retry(r: Draw, doc: dict[str, Any], x: Mapping[str, Mapping[str, Any]]) -> None:
    """Lay one drawn set of retry settings over the file's, everywhere it sets any."""
    retry = x["retry"]
    if not r() < retry["p"]:
        return
    drawn = {
        "policy": "fast" if r() < retry["fast"] else "rto",
        "window": _n(r, *retry["window"]),
        "congestion": "newreno" if r() < retry["newreno"] else "none",
        "max_tries": _n(r, *retry["max_tries"]),
    }
    doc["retry"] = {**doc.get("retry", {}), **drawn}
    for peer in doc["peers"]:
        if "retry" in peer:
            peer["retry"] = {**peer["retry"], **drawn}


def _scale_size(size: dict[str, Any], f: float) -> dict[str, Any]:
    out = dict(size)
    for key in ("bytes", "min", "max"):
        if key in out:
            out[key] = max(1, round(out[key] * f))
    if "median" in out:
        out["median"] = min(max(float(out.get("min", 1)), round(out["median"] * f, 3)), out["max"])
    return out


def draw_run(scenario: Scenario, explore_seed: int, index: int) -> dict[str, Any]:
    """Run ``index``'s scenario document under ``explore_seed`` (module docstring)."""
    x = scenario.explore if scenario.explore is not None else DEFAULTS
    r = Streams(explore_seed).stream(f"explore:run:{index}").random
    doc = copy.deepcopy(scenario.to_dict())
    doc.pop("explore", None)
    # faults land where the traffic is: up to 10 s after the last memo is queued
    last = max((w.times()[-1] for w in scenario.workload if w.count), default=0.0)
    duration = min(scenario.duration_s, last + 10.0)
    doc["scenario"]["seed"] = int(r() * 2**31)
    hio = frozenset(p.name for p in scenario.peers if p.impl == "hio")
    doc["links"] = [_link(r, s, d, x, duration, hio) for s, d in run_pairs(scenario)]
    streams = Streams(explore_seed)
    rate_r = streams.stream(f"explore:run:{index}:rate").random
    mtu_r = streams.stream(f"explore:run:{index}:mtu").random
    for link in doc["links"]:
        _bottleneck(rate_r, link, x)
        _mtu(mtu_r, link, x)
    _retry(streams.stream(f"explore:run:{index}:retry").random, doc, x)
    senders = list(dict.fromkeys(s for s, _ in scenario.pairs()))
    parts = []
    for _ in range(_n(r, *x["partitions"]["count"])):
        start = _u(r, 0.0, duration * 0.9, 3)
        who = senders[min(len(senders) - 1, int(r() * len(senders)))]
        parts.append(
            {
                "peers": [who],
                "start_s": start,
                "end_s": round(start + max(_u3(r, x["partitions"]["length_s"]), 0.001), 3),
            }
        )
    doc["partitions"] = parts
    wx = x["workload"]
    for w in doc["workload"]:
        if w["count"] > 0:
            w["count"] = max(1, round(w["count"] * _u(r, *wx["count"])))
        w["memo_size"] = _scale_size(w["memo_size"], _u(r, *wx["size"]))
    return doc
