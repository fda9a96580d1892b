"""What a run leaves behind: the comparison table and the files of a results directory.

:func:`format_table` renders a :class:`~memosim.testbed.runner.ScenarioResult`
as a plain-text table, one column per Doer, and a ``BREACH`` line under it for
each run of an acked-delivery Doer (:data:`PROMISING_DOERS`) that broke its
promise (:func:`breaches`); the line is red when colour is wanted (a
terminal). :func:`write_results` writes a results directory:

- ``summary.json``: ``ScenarioResult.summary()``, pretty-printed, less a sim
  run's ``wall_s`` (:func:`summary_document`): a sim results directory is
  the same bytes whenever the run is made again;
- ``memos.csv``: every Doer's per-memo rows (``RunResult.rows``);
- ``latency.png`` and ``delivery.png``: see :mod:`memosim.testbed.plots`;
- sim runs: ``timeline.jsonl`` (every memo's gram events) and, with plots,
  ``timelines/<doer>-<memo>.png`` for the memos :func:`~memosim.testbed.timeline.pick`
  chooses (see :mod:`memosim.testbed.timeline`).

Everything here reads plain data only (summaries and rows), so the sim and
the udp backend are reported alike.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from .metrics import shown_ratio

if TYPE_CHECKING:
    from .runner import ScenarioResult

__all__ = [
    "BREACH_KEYS",
    "MEMO_COLUMNS",
    "OUTPUT_FILES",
    "PROMISING_DOERS",
    "TABLE_ROWS",
    "TIMELINES_DIR",
    "Formatter",
    "breaches",
    "promises_delivery",
    "summary_document",
    "format_rows",
    "format_table",
    "want_color",
    "write_memos_csv",
    "write_results",
    "write_summary",
]

#: Columns of memos.csv, as RunResult.rows holds them (metrics.memo_rows).
MEMO_COLUMNS = (
    "doer",
    "workload",
    "src",
    "dst",
    "index",
    "bytes",
    "sent_s",
    "delivered_s",
    "latency_s",
    "copies",
    "outcome",
    "failed",
)
#: Files write_results creates in a results directory.
OUTPUT_FILES = ("summary.json", "memos.csv", "latency.png", "delivery.png", "timeline.jsonl")
#: Directory of the timeline PNGs in a results directory.
TIMELINES_DIR = "timelines"

#: Renders one value of a summary or row as a table cell.
Formatter: TypeAlias = Callable[[object], str]


def _get(summary: Mapping[str, Any], key: str) -> object:
    node: object = summary
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _int(x: object) -> str:
    return f"{x:,}" if isinstance(x, int) and not isinstance(x, bool) else "-"


def _fixed(digits: int, scale: float = 1.0) -> Formatter:
    def fmt(x: object) -> str:
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            return "-"
        return f"{x * scale:,.{digits}f}"

    return fmt


def _ratio(digits: int) -> Formatter:
    """A ratio that shows 1 only when it is 1 (and 0 only when 0): rounding
    0.99996 to 1.0000 would hide a lost memo."""

    def fmt(x: object) -> str:
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            return "-"
        return shown_ratio(float(x), digits)

    return fmt


#: The table's rows: (label, summary key with dots for nesting, formatter).
TABLE_ROWS: tuple[tuple[str, str, Formatter], ...] = (
    ("memos sent", "memos_sent", _int),
    ("memos delivered", "memos_delivered", _int),
    ("delivery ratio", "delivery_ratio", _ratio(4)),
    ("duplicates delivered", "duplicates_delivered", _int),
    ("corrupt delivered", "corrupt_delivered", _int),
    ("latency p50 (ms)", "latency_s.p50", _fixed(1, 1000.0)),
    ("latency p90 (ms)", "latency_s.p90", _fixed(1, 1000.0)),
    ("latency p99 (ms)", "latency_s.p99", _fixed(1, 1000.0)),
    ("latency max (ms)", "latency_s.max", _fixed(1, 1000.0)),
    ("grams sent", "grams_sent", _int),
    ("grams retransmitted", "grams_retransmitted", _int),
    ("spurious retransmissions", "spurious_retransmissions", _int),
    ("acks sent", "acks_sent", _int),
    ("wire bytes", "wire_bytes", _int),
    ("overhead ratio", "overhead_ratio", _fixed(3)),
    ("goodput (kbit/s)", "goodput_bps", _fixed(1, 0.001)),
    ("gave up", "gave_up", _int),
    ("lost silently", "lost_silently", _int),
    ("in flight at end", "in_flight_at_end", _int),
    ("false give-ups", "false_give_ups", _int),
    ("mean window (grams)", "congestion.mean_window", _fixed(1)),
    ("loss events", "congestion.loss_events", _int),
    ("queue drops", "congestion.queue_drops", _int),
    ("sim s", "sim_s", _fixed(3)),
    ("wall s", "wall_s", _fixed(3)),
)


#: Doers that promise acked delivery: every memo delivered once, intact, or
#: reported in the sender's failures. A run of one of them breaks that promise
#: when a summary count of BREACH_KEYS is above 0.
#: A Doer named by import path promises it too when it subclasses one of them.
PROMISING_DOERS = ("SafePeerMemoerDoer",)
#: (summary key, what it is called in a BREACH line).
BREACH_KEYS = (
    ("lost_silently", "lost silently"),
    ("duplicates_delivered", "duplicates delivered"),
    ("corrupt_delivered", "corrupt delivered"),
)

_RED, _RESET = "\x1b[31;1m", "\x1b[0m"


def promises_delivery(run: Mapping[str, Any]) -> bool:
    """Whether a run's Doer promises acked delivery, as its summary records it
    (``promises_acked``, set when the run was made); a summary without it
    (older files) is judged by name, built-in Doers only, so formatting a
    saved summary never imports the module of a Doer it names."""
    recorded = run.get("promises_acked")
    if isinstance(recorded, bool):
        return recorded
    return run.get("doer") in PROMISING_DOERS


def breaches(run: Mapping[str, Any]) -> list[str]:
    """How one run's summary broke the delivery promise, e.g. ``["2 lost
    silently", "1 duplicates delivered"]``; empty when it kept it. Duplicate
    or corrupt deliveries break it for every Doer; memos lost silently only
    for Doers that promise acked delivery (:func:`promises_delivery`)."""
    promises = promises_delivery(run)
    out = []
    for key, name in BREACH_KEYS:
        if key == "lost_silently" and not promises:
            continue  # fire and forget may lose memos; no Doer may duplicate or corrupt one
        count = run.get(key)
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            out.append(f"{count:,} {name}")
    return out


def want_color(stream: object = None) -> bool:
    """Colour for stream (default sys.stdout): only a terminal, and not when
    NO_COLOR is set (https://no-color.org) or TERM is dumb."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # closed or detached stream
        return False


def format_table(
    result: ScenarioResult | dict[str, Any],
    *,
    description: str | None = None,
    color: bool | None = None,
) -> str:
    """The comparison table of a ScenarioResult (or of its summary() dict).

    Under the rows, one line per run that broke the acked promise
    (:func:`breaches`): ``BREACH  SafePeerMemoerDoer: 2 lost silently``, red
    when color is true. color None: when :func:`want_color` for stdout (a
    terminal), so text for a file, a pipe or a notebook is plain.
    """
    if color is None:
        color = want_color()
    doc = result if isinstance(result, dict) else result.summary()
    runs = doc.get("runs", [])
    head = f"scenario {doc.get('scenario')}  seed {doc.get('seed')}  backend {doc.get('backend')}"
    digest = doc.get("trace_digest")
    if digest:
        head += f"  trace {digest[:16]}"
    lines = [head]
    if description:
        lines.append(description)
    labels = [row_label(label, doc.get("backend")) for label, _, _ in TABLE_ROWS]
    cells = [[fmt(_get(run, key)) for run in runs] for _, key, fmt in TABLE_ROWS]
    names = [str(run.get("doer", "?")) for run in runs]
    left = max(len(s) for s in labels)
    widths = [max([len(n), *(len(row[i]) for row in cells)]) for i, n in enumerate(names)]
    lines.append(" " * left + "".join(f"  {n:>{w}}" for n, w in zip(names, widths)))
    lines.append("-" * (left + sum(w + 2 for w in widths)))
    for label, row in zip(labels, cells):
        lines.append(f"{label:<{left}}" + "".join(f"  {c:>{w}}" for c, w in zip(row, widths)))
    lines += _link_lines(runs, left, widths)
    lines += _peer_lines(runs, left, widths)
    for run, name in zip(runs, names):
        broken = breaches(run)
        if broken:
            line = f"{'BREACH':<{left}}  {name}: " + ", ".join(broken)
            lines.append(f"{_RED}{line}{_RESET}" if color else line)
    return "\n".join(lines)


def link_cell(counters: Mapping[str, Any] | None) -> str:
    """One link's counters in a cell: ``sent>delivered`` then every drop
    reason, duplication, reorder and corruption that happened."""
    if not counters:
        return "-"
    parts = [f"{counters.get('sent', 0):,}>{counters.get('delivered', 0):,}"]
    parts += [f"{r} {n:,}" for r, n in counters.get("dropped", {}).items() if n]
    for key, name in (("duplicated", "dup"), ("reordered", "reord"), ("corrupted", "corr")):
        if counters.get(key):
            parts.append(f"{name} {counters[key]:,}")
    return " ".join(parts)


def _link_lines(runs: Sequence[Mapping[str, Any]], left: int, widths: list[int]) -> list[str]:
    """The table's link block: a row per link, cells from link_cell."""
    names = sorted({link for run in runs for link in run.get("links") or {}})
    if not names:
        return []
    cells = [[link_cell((run.get("links") or {}).get(n)) for run in runs] for n in names]
    labels = [f"  {n}" for n in names]
    left = max(left, *(len(x) for x in labels))
    widths = [max(w, *(len(row[i]) for row in cells)) for i, w in enumerate(widths)]
    out = ["links: datagrams sent>delivered, drops by reason"]
    out += [
        f"{label:<{left}}" + "".join(f"  {c:>{w}}" for c, w in zip(row, widths))
        for label, row in zip(labels, cells)
    ]
    return out


def peer_cell(counts: Mapping[str, Any] | None) -> str:
    """One peer's part of a run in a cell: memos delivered to it intact,
    duplicates, corrupt ("bad": hio's empty deliveries count here), partial
    memos held at the end."""
    if not counts:
        return "-"
    return " ".join(
        f"{name} {counts.get(key, 0):,}"
        for name, key in (
            ("in", "memos_delivered"),
            ("dup", "duplicates_delivered"),
            ("bad", "corrupt_delivered"),
            ("held", "partial_memos_held"),
        )
    )


def _peer_lines(runs: Sequence[Mapping[str, Any]], left: int, widths: list[int]) -> list[str]:
    """The table's peer block, shown when a peer runs another implementation
    than memosim's (impl = "hio"): a row per peer, labelled with its impl."""
    impls: dict[str, str] = {}
    for run in runs:
        for name, counts in (run.get("by_peer") or {}).items():
            impls.setdefault(name, str(counts.get("impl", "memosim")))
    if all(impl == "memosim" for impl in impls.values()):
        return []
    names = list(impls)
    cells = [[peer_cell((run.get("by_peer") or {}).get(n)) for run in runs] for n in names]
    labels = [f"  {n} ({impls[n]})" for n in names]
    left = max(left, *(len(x) for x in labels))
    widths = [max(w, *(len(row[i]) for row in cells)) for i, w in enumerate(widths)]
    out = ["peers (impl): memos delivered in, dup(licates), bad (corrupt), partial memos held"]
    out += [
        f"{label:<{left}}" + "".join(f"  {c:>{w}}" for c, w in zip(row, widths))
        for label, row in zip(labels, cells)
    ]
    return out


def row_label(label: str, backend: object) -> str:
    """A table row's label on a backend: the run's length is simulated tyme on
    sim ("sim s") and real seconds on udp ("duration s")."""
    return "duration s" if label == "sim s" and backend == "udp" else label


def summary_document(result: ScenarioResult) -> dict[str, Any]:
    """summary.json's document (and ``memosim run --json``'s): summary(), less
    each run's wall-clock ``wall_s`` on the sim backend. A sim run is a pure
    function of its file and seed, so its results are too, byte for byte;
    its wall time is in the table. A udp run keeps it: nothing there repeats."""
    doc = result.summary()
    if doc.get("backend") == "sim":
        doc["runs"] = [{k: v for k, v in run.items() if k != "wall_s"} for run in doc["runs"]]
    return doc


def write_summary(result: ScenarioResult, path: str | Path) -> Path:
    """summary.json: :func:`summary_document`."""
    path = Path(path)
    path.write_text(json.dumps(summary_document(result), indent=2) + "\n", encoding="utf-8")
    return path


def _columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    cols = list(MEMO_COLUMNS)
    for row in rows:
        cols.extend(k for k in row if k not in cols)
    return cols


def write_memos_csv(result: ScenarioResult, path: str | Path) -> Path:
    """memos.csv: every Doer's per-memo rows, Doers in run order."""
    path = Path(path)
    rows = [row for run in result.runs for row in run.rows]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=_columns(rows), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_results(
    result: ScenarioResult, out: str | Path, *, title: str | None = None, plots: bool = True
) -> list[Path]:
    """Write summary.json, memos.csv and (with plots) latency.png and delivery.png
    into the directory out (created when missing); return the paths written.
    matplotlib is imported only when plots are drawn: it costs most of a short
    run's start-up."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_summary(result, out / "summary.json"),
        write_memos_csv(result, out / "memos.csv"),
    ]
    if plots:
        from . import plots as _plots

        written.append(_plots.save(_plots.latency_cdf(result, title=title), out / "latency.png"))
        written.append(
            _plots.save(_plots.delivery_over_time(result, title=title), out / "delivery.png")
        )
    for old in sorted((out / TIMELINES_DIR).glob("*.png")):  # a re-run of the same run
        old.unlink()
    if any(getattr(run, "timeline", None) for run in result.runs):
        from . import timeline as _timeline

        records = [rec for run in result.runs for rec in run.timeline]
        written.append(_timeline.write_timelines(records, out / _timeline.TIMELINE_FILE))
        if plots:
            from .timeline_plot import draw_timelines

            for run in result.runs:
                draw_timelines(run.timeline, _timeline.pick(run.timeline), out / TIMELINES_DIR)
            written.append(out / TIMELINES_DIR)
    return written


def format_rows(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str, Formatter]]
) -> str:
    """A plain-text table of dict rows: columns are (header, key, formatter)."""
    heads = [h for h, _, _ in columns]
    cells = [[fmt(row.get(key)) for _, key, fmt in columns] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(heads)]
    lines = ["  ".join(f"{h:>{w}}" for h, w in zip(heads, widths))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(f"{c:>{w}}" for c, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)
