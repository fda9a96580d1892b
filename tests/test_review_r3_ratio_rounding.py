"""A delivery ratio is never shown as 1 when a memo was lost, nor as 0 when one arrived.

Rounding 24,999 delivered of 25,000 to the table's four digits printed
``1.0000``, the figure of a run that lost nothing; summary.json's six digits
do the same from two million memos on, and the sweep table's mean of a few
such runs too. The counts sit next to it, but a reader comparing ratios
reads the ratio.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from memosim.testbed.metrics import ratio
from memosim.testbed.report import format_table
from memosim.testbed.sweep_table import sweep_table


def table_ratio(sent: int, delivered: int) -> str:
    run: dict[str, Any] = {
        "doer": "PeerMemoerDoer",
        "memos_sent": sent,
        "memos_delivered": delivered,
        "delivery_ratio": ratio(delivered, sent),
    }
    doc = {"scenario": "x", "seed": 1, "backend": "sim", "runs": [run]}
    row = next(
        line for line in format_table(doc, color=False).splitlines() if line.startswith("delivery")
    )
    return row.split()[-1]


def test_ratio_rounds_but_never_to_an_end_it_did_not_reach() -> None:
    assert ratio(1, 3) == 0.333333 and ratio(2, 3) == 0.666667
    assert ratio(0, 5) == 0.0 and ratio(5, 5) == 1.0 and ratio(1, 0) is None
    assert ratio(9_999_999, 10_000_000) == 0.999999  # round() gives 1.0
    assert ratio(1, 10_000_000) == 0.000001  # round() gives 0.0


def test_table_shows_a_lost_memo_in_the_ratio() -> None:
    assert table_ratio(300, 172) == "0.5733"
    assert table_ratio(25_000, 25_000) == "1.0000"
    assert table_ratio(25_000, 24_999) == "0.9999"  # was 1.0000
    assert table_ratio(25_000, 1) == "0.0001"  # was 0.0000
    assert table_ratio(25_000, 0) == "0.0000"


def sweep_cell(mean: float, half: float | None) -> str:
    row = {
        "doer": "SafePeerMemoerDoer",
        "n": 4,
        "delivery_ratio_mean": mean,
        "delivery_ratio_ci95": half,
    }
    text = sweep_table(SimpleNamespace(paths=[], rows=[row]))
    return text.splitlines()[-1].split("  4  ")[1].strip().split("  ")[0].strip()


def test_sweep_table_shows_a_lost_memo_in_the_mean_ratio() -> None:
    assert sweep_cell(1.0, 0.0) == "1.0000 +- 0.0000"
    assert sweep_cell(0.99998, None) == "0.9999"  # was 1.0000
    assert sweep_cell(0.99998, 0.00004).startswith("0.9999 [")
    assert sweep_cell(0.00002, None) == "0.0001"
    assert sweep_cell(0.5733, 0.01) == "0.5733 +- 0.0100"
