"""testbed/report.py: the comparison table, its BREACH line, colour only on a
terminal, and the files of a results directory."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from memosim.testbed.report import (
    MEMO_COLUMNS,
    TABLE_ROWS,
    breaches,
    format_rows,
    format_table,
    row_label,
    want_color,
    write_results,
)


def doc(**safe: int) -> dict[str, Any]:
    zero = {
        "lost_silently": 0,
        "duplicates_delivered": 0,
        "corrupt_delivered": 0,
        "memos_sent": 10,
        "in_flight_at_end": 0,
        "false_give_ups": 0,
    }
    return {
        "scenario": "x",
        "seed": 1,
        "backend": "sim",
        "runs": [
            {"doer": "PeerMemoerDoer", **zero, "lost_silently": 4},
            {"doer": "SafePeerMemoerDoer", **zero, **safe},
        ],
    }


def test_silent_loss_breaches_only_for_the_promising_doer() -> None:
    d = doc(lost_silently=2, corrupt_delivered=1)
    plain, safe = d["runs"]
    assert breaches(plain) == []  # fire and forget promises no delivery
    # but no Doer may deliver a memo twice or damaged
    assert breaches({**plain, "duplicates_delivered": 1}) == ["1 duplicates delivered"]
    assert breaches(safe) == ["2 lost silently", "1 corrupt delivered"]
    assert breaches(doc(in_flight_at_end=3, false_give_ups=2)["runs"][1]) == []


def test_breach_line_plain_without_colour() -> None:
    text = format_table(doc(lost_silently=2, duplicates_delivered=1), color=False)
    assert "\x1b" not in text
    last = text.splitlines()[-1]
    assert last.split() == [
        "BREACH",
        "SafePeerMemoerDoer:",
        "2",
        "lost",
        "silently,",
        "1",
        "duplicates",
        "delivered",
    ]
    for label in ("lost silently", "in flight at end", "false give-ups"):
        row = next(line for line in text.splitlines() if line.startswith(label))
        assert len(row.split()) == len(label.split()) + 2


def test_breach_line_red_with_colour() -> None:
    text = format_table(doc(corrupt_delivered=3), color=True)
    last = text.splitlines()[-1]
    assert last.startswith("\x1b[31") and last.endswith("\x1b[0m")
    assert "BREACH" in last and "3 corrupt delivered" in last
    assert text.count("\x1b[") == 2  # only the breach line is coloured


def test_no_breach_no_line_and_no_colour_anywhere() -> None:
    for color in (False, True):
        text = format_table(doc(), color=color)
        assert "BREACH" not in text and "\x1b" not in text


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_for_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert want_color(Tty()) is True
    assert want_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert want_color(Tty()) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert want_color(Tty()) is False
    monkeypatch.setenv("TERM", "xterm")
    # format_table's default follows stdout: red on a terminal, plain elsewhere
    monkeypatch.setattr("sys.stdout", Tty())
    assert "\x1b[31" in format_table(doc(lost_silently=1))
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert "\x1b" not in format_table(doc(lost_silently=1))


def test_table_has_a_head_a_column_per_doer_and_a_row_per_metric() -> None:
    d = doc()
    d["trace_digest"] = "0123456789abcdef0123"
    d["runs"][0]["latency_s"] = {"p50": 0.0123}
    d["runs"][1]["wire_bytes"] = 1234567
    lines = format_table(d, description="two Doers", color=False).splitlines()
    assert lines[0] == "scenario x  seed 1  backend sim  trace 0123456789abcdef"
    assert lines[1] == "two Doers"
    assert lines[2].split() == ["PeerMemoerDoer", "SafePeerMemoerDoer"]
    assert set(lines[3]) == {"-"} and len(lines[3]) == len(lines[2])
    rows = lines[4 : 4 + len(TABLE_ROWS)]
    assert [r[:24].rstrip() for r in rows] == [label for label, _, _ in TABLE_ROWS]
    assert len({len(r) for r in rows}) == 1  # right-aligned in fixed columns
    by_label = {label: row for (label, _, _), row in zip(TABLE_ROWS, rows)}
    assert by_label["latency p50 (ms)"].split()[-2:] == ["12.3", "-"]  # missing: a dash
    assert by_label["wire bytes"].split()[-2:] == ["-", "1,234,567"]
    assert by_label["memos sent"].split()[-2:] == ["10", "10"]
    assert lines[4 + len(TABLE_ROWS) :] == []  # nothing broken, no BREACH line


def test_the_run_length_row_names_simulated_or_real_seconds() -> None:
    assert row_label("sim s", "sim") == "sim s"
    assert row_label("sim s", "udp") == "duration s"
    assert row_label("wall s", "udp") == "wall s"
    assert "duration s" in format_table(dict(doc(), backend="udp"), color=False)


def test_format_rows_right_aligns_under_a_ruled_header() -> None:
    text = format_rows(
        [{"n": 5, "name": "a"}, {"n": 1234, "name": None}],
        [("n", "n", str), ("who", "name", lambda v: v or "-")],
    )
    assert text.splitlines() == ["   n  who", "---------", "   5    a", "1234    -"]


def test_write_results_writes_summary_and_memo_rows(tmp_path: Path) -> None:
    rows = [dict.fromkeys(MEMO_COLUMNS, 1), {**dict.fromkeys(MEMO_COLUMNS, 2), "extra": "x"}]
    result = SimpleNamespace(
        runs=[SimpleNamespace(rows=rows[:1]), SimpleNamespace(rows=rows[1:])],
        summary=lambda: {"scenario": "x", "runs": []},
    )
    out = tmp_path / "new" / "dir"
    written = write_results(result, out, plots=False)
    assert written == [out / "summary.json", out / "memos.csv"]
    assert json.loads((out / "summary.json").read_text()) == {"scenario": "x", "runs": []}
    with (out / "memos.csv").open(newline="") as f:
        read = list(csv.DictReader(f))
    assert list(read[0]) == [*MEMO_COLUMNS, "extra"]  # known columns first, then the rest
    assert [row["doer"] for row in read] == ["1", "2"] and read[0]["extra"] == ""
