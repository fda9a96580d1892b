"""Reading timeline.jsonl back, every record checked.

``memosim explain DIR`` draws from a file anyone may have edited, cut short
or replaced, so it is input like a scenario: a line that is not UTF-8 or
JSON, or a record without the keys and types ``memosim run`` writes
(:func:`memosim.testbed.timeline.memo_timelines`), is one ValueError
naming the file, the line and the key, never a traceback from the drawing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import MISSING, SHOW_LIMIT

__all__ = ["EVENT_KINDS", "read_timelines"]

#: The kinds of trace event a record's ``events`` hold.
EVENT_KINDS = ("send", "resend", "duplicate", "reorder", "corrupt", "deliver", "drop")


def _shown(x: Any) -> str:
    """A found value as JSON, cut to one short line."""
    text = str(x) if x is MISSING else json.dumps(x, ensure_ascii=True)
    return text if len(text) <= SHOW_LIMIT else text[: SHOW_LIMIT - 3] + "..."


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _str(x: Any) -> bool:
    return isinstance(x, str)


def _list(x: Any) -> bool:
    return isinstance(x, list)


def _text(x: Any) -> bool:
    return x is None or isinstance(x, str)


def _event(x: Any) -> bool:
    return (
        isinstance(x, list)
        and len(x) == 5
        and _number(x[0])
        and x[1] in EVENT_KINDS
        and isinstance(x[2], int)
        and not isinstance(x[2], bool)
        and _text(x[3])
        and _text(x[4])
    )


def _problem(record: Any) -> tuple[str, str, Any] | None:
    """(key, what is expected, what is there) of a record's first flaw, or None."""
    if not isinstance(record, dict):
        return "", "a JSON object (one timeline record)", record
    for key, ok, what in (
        ("doer", _str, "a string"),
        ("memo", _int, "an integer >= 0"),
        ("key", _str, "a string"),
        ("outcome", _str, "a string"),
        ("grams", _int, "an integer >= 0"),
        ("sent_s", _number, "a number"),
        ("events", _list, "an array of events"),
    ):
        if key not in record:
            return key, what, MISSING
        if not ok(record[key]):
            return key, what, record[key]
    for i, event in enumerate(record["events"]):
        if not _event(event):
            return f"events[{i}]", "[time_s, kind, gram, reason, link]", event
    delivered = record.get("delivered_s")
    if delivered is not None and not _number(delivered):
        return "delivered_s", "a number or null", delivered
    if not _text(record.get("mid")):
        return "mid", "a string or null", record["mid"]
    window = record.get("window", [])
    pairs = isinstance(window, list) and all(
        isinstance(w, list) and len(w) == 2 and _number(w[0]) and _number(w[1]) for w in window
    )
    if not pairs:
        return "window", "an array of [time_s, grams]", window
    return None


def read_timelines(path: Path) -> list[dict[str, Any]]:
    """The records of a timeline.jsonl; ValueError in one line for a flawed one."""
    records: list[dict[str, Any]] = []
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as ex:
                bad = raw[ex.start]
                raise ValueError(
                    f"{path}: line {n}: expected UTF-8 text, found byte 0x{bad:02x}"
                ) from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as ex:
                raise ValueError(
                    f"{path}: line {n}: expected a JSON timeline record, found {ex.msg.lower()}"
                    f" at column {ex.colno}"
                ) from None
            flaw = _problem(record)
            if flaw is not None:
                key, what, found = flaw
                where = f"line {n}: {key}" if key else f"line {n}"
                raise ValueError(
                    f"{path}: {where}: expected {what} (a record as memosim run writes it),"
                    f" found {_shown(found)}"
                )
            records.append(record)
    return records
