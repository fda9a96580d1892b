"""The validation kit on its own: leaf checks, "did you mean", the one error
type and the one TOML value renderer."""

from __future__ import annotations

import datetime
import math
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memosim.errors import MISSING, SHOW_LIMIT, ScenarioError, Text, show, toml_value
from memosim.sim import build_link_impairments
from memosim.sim.rng import Streams, std_normal
from memosim.testbed.scenario_model import SizeSpec
from memosim.testbed.sweeps import write_csv
from memosim.validation import (
    at,
    boolean,
    check_keys,
    choice,
    integer,
    is_number,
    nonneg,
    number,
    positive,
    string,
    suggest,
    table,
    tables,
    unknown,
)


def fails(call: Callable[..., object], *args: Any, **kw: Any) -> str:
    """The one-line message of the ScenarioError that call raises."""
    with pytest.raises(ScenarioError) as info:
        call(*args, **kw)
    return str(info.value)


# ------------------------------------------------------------- the error


def test_error_without_a_file_starts_at_the_key_path_and_in_file_adds_it() -> None:
    ex = ScenarioError("", "links[0].loss.rate", "a number in [0, 1]", 1.5)
    assert str(ex) == "links[0].loss.rate: expected a number in [0, 1], found 1.5"
    told = ex.in_file("loss.toml")
    assert type(told) is ScenarioError and isinstance(told, ValueError)
    assert str(told) == "loss.toml: links[0].loss.rate: expected a number in [0, 1], found 1.5"
    assert (told.file, told.path, told.expected, told.found) == (
        "loss.toml",
        "links[0].loss.rate",
        "a number in [0, 1]",
        1.5,
    )
    assert str(ScenarioError("x.toml", "", "valid TOML", Text("a syntax error"))) == (
        "x.toml: expected valid TOML, found a syntax error"
    )
    assert str(pickle.loads(pickle.dumps(ex))) == str(ex)


def test_impairment_errors_are_the_same_type_with_the_key_path() -> None:
    with pytest.raises(ScenarioError) as info:
        build_link_impairments({"delay": {"base_s": 0.1, "distribution": "normall"}}, "links[2]")
    ex = info.value
    assert (ex.file, ex.path) == ("", "links[2].delay.distribution")
    assert str(ex) == (
        'links[2].delay.distribution: expected "uniform" or "normal" or "pareto" '
        'or "lognormal", found "normall" (did you mean "normal"?)'
    )


# ---------------------------------------------------------- leaf checks


def test_at_quotes_keys_toml_must_quote() -> None:
    assert at("", "scenario") == "scenario"
    assert at("links[0]", "loss") == "links[0].loss"
    assert at("links[0].loss", "a b") == 'links[0].loss."a b"'
    assert at("peers[1]", 7) == "peers[1].7"


@pytest.mark.parametrize(
    "x, ok",
    [
        (0, True),
        (-2.5, True),
        (1e300, True),
        (True, False),
        (math.nan, False),
        (math.inf, False),
        ("1", False),
        (None, False),
    ],
)
def test_is_number(x: object, ok: bool) -> None:
    assert is_number(x) is ok


def test_number_checks_type_range_and_default() -> None:
    d = {"rate": 0.25, "bad": 1.5, "flag": True}
    in_unit = ("a number in [0, 1]", lambda v: 0 <= v <= 1)
    assert number(d, "rate", "loss", *in_unit) == 0.25
    assert number(d, "absent", "loss", *in_unit, 0) == 0.0
    assert isinstance(number({"n": 3}, "n", "", "a number", lambda v: True), float)
    assert fails(number, d, "bad", "loss", *in_unit) == (
        "loss.bad: expected a number in [0, 1], found 1.5"
    )
    assert fails(number, d, "flag", "loss", *in_unit) == (
        "loss.flag: expected a number in [0, 1], found true"
    )
    assert fails(number, d, "absent", "loss", *in_unit) == (
        "loss.absent: expected a number in [0, 1], found nothing"
    )


def test_positive_and_nonneg() -> None:
    assert positive({"x": 0.5}, "x", "t") == 0.5
    assert nonneg({"x": 0}, "x", "t") == 0.0
    assert nonneg({}, "x", "t", 2) == 2.0
    assert fails(positive, {"x": 0}, "x", "t") == "t.x: expected a number > 0, found 0"
    assert fails(nonneg, {"x": -1}, "x", "t") == "t.x: expected a number >= 0, found -1"
    assert fails(nonneg, {"x": "1"}, "x", "t") == 't.x: expected a number >= 0, found "1"'


def test_integer_bounds_and_reason() -> None:
    assert integer({"n": 5}, "n", "t", 1, 10) == 5
    assert integer({}, "n", "t", 0, default=64) == 64
    assert fails(integer, {"n": 11}, "n", "t", 1, 10) == (
        "t.n: expected an integer in [1, 10], found 11"
    )
    assert fails(integer, {"n": 0}, "n", "t", 1) == "t.n: expected an integer >= 1, found 0"
    assert fails(integer, {"n": 2.0}, "n", "t", 1) == "t.n: expected an integer >= 1, found 2.0"
    assert fails(integer, {"n": True}, "n", "t", 0) == "t.n: expected an integer >= 0, found true"
    assert fails(integer, {"n": 0}, "n", "t", 1, 9, why=" (memos)") == (
        "t.n: expected an integer in [1, 9] (memos), found 0"
    )


def test_boolean_and_string() -> None:
    assert boolean({"b": False}, "b", "t") is False
    assert boolean({}, "b", "t", True) is True
    assert fails(boolean, {"b": 1}, "b", "t") == "t.b: expected true or false, found 1"
    assert string({"s": "x"}, "s", "t") == "x"
    assert string({}, "s", "t", "") == ""
    assert fails(string, {"s": 1}, "s", "t") == "t.s: expected a string, found 1"
    assert fails(string, {}, "s", "t") == "t.s: expected a string, found nothing"


def test_table_and_tables() -> None:
    d = {"a": 1}
    assert table(d, "t", "a table [t]") is d
    assert fails(table, [1], "t", "a table [t]") == "t: expected a table [t], found [1]"
    assert tables([d, d], "ts", "an array of tables") == [d, d]
    assert tables((), "ts", "an array of tables") == []
    assert fails(tables, d, "ts", "an array of tables [[ts]]") == (
        "ts: expected an array of tables [[ts]], found {a = 1}"
    )
    assert fails(tables, [d, 3], "ts", "x") == "ts[1]: expected a table, found 3"


# ---------------------------------------------------------- did you mean


def test_suggest_by_hint_spelling_then_case() -> None:
    known = ("duration_s", "tock_s", "seed")
    assert suggest("duraton_s", known) == "duration_s"
    assert suggest("tock", known, {"tock": "tock_s"}) == "tock_s"
    assert suggest("SEED", known) == "seed"
    assert suggest("colour", known) is None
    # a hint naming a key the table does not have is not offered
    assert suggest("tock", ("seed",), {"tock": "tock_s"}) is None


def test_unknown_adds_a_guess_only_to_close_strings() -> None:
    assert unknown("normall", ("normal", "pareto")) == Text('"normall" (did you mean "normal"?)')
    assert unknown("cauchy", ("normal", "pareto")) == "cauchy"
    assert unknown(3, ("normal",)) == 3
    assert unknown(MISSING, ("normal",)) is MISSING


def test_check_keys_names_the_key_and_the_known_ones() -> None:
    check_keys({"rate": 1}, "loss", ("rate", "correlation"))
    assert fails(
        check_keys, {"rate": 1, "corelation": 0}, "links[0].loss", ("rate", "correlation")
    ) == (
        "links[0].loss.corelation: expected one of the keys rate, correlation, found an "
        'unknown key (did you mean "correlation"?)'
    )
    assert fails(check_keys, {"xyz": 0}, "", ("rate",)) == (
        "xyz: expected one of the keys rate, found an unknown key"
    )
    assert fails(check_keys, {"start": 0}, "w", ("start_s", "end_s"), {"start": "start_s"}) == (
        "w.start: expected one of the keys start_s, end_s, found an unknown key "
        '(did you mean "start_s"?)'
    )


def test_choice() -> None:
    assert choice("up", "s", ("down", "up")) == "up"
    assert fails(choice, "Up", "s", ("down", "up")) == (
        's: expected "down" or "up", found "Up" (did you mean "up"?)'
    )
    assert fails(choice, MISSING, "s", ("down", "up")) == (
        's: expected "down" or "up", found nothing'
    )
    assert fails(choice, ["up"], "s", ("down", "up")) == 's: expected "down" or "up", found ["up"]'


# ------------------------------------------------------------ the renderer


@pytest.mark.parametrize(
    "value, text",
    [
        ("x", '"x"'),
        ('say "hi"\n', '"say \\"hi\\"\\n"'),
        ("é", '"é"'),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (1.0, "1.0"),
        (1e300, "1e+300"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        ([1, "a", [True]], '[1, "a", [true]]'),
        ((), "[]"),
        ({"rate": 0.5, "a b": {}, "é": 1}, '{rate = 0.5, "a b" = {}, "é" = 1}'),
        (datetime.date(2024, 5, 1), "2024-05-01"),
        (datetime.datetime(2024, 5, 1, 12, 30), "2024-05-01T12:30:00"),
        (Text("nothing"), "nothing"),
        (None, "a NoneType"),
    ],
)
def test_toml_value(value: object, text: str) -> None:
    assert toml_value(value) == text


def test_show_cuts_and_escapes_but_toml_value_does_not() -> None:
    long = list(range(40))
    assert len(toml_value(long)) > SHOW_LIMIT
    assert show(long) == toml_value(long)[: SHOW_LIMIT - 3] + "..."
    assert show("a\tb") == '"a\\tb"'
    assert show(Text("a\x01b")) == "a\\x01b"
    assert toml_value(Text("x" * 100)) == show(Text("x" * 100)) == "x" * 100


def test_sweep_cells_use_the_renderer(tmp_path: Path) -> None:
    rows = [{"v": {"rate": 0.1}, "n": 3, "s": "bare", "none": None, "f": 1e-7}]
    path = write_csv(rows, tmp_path / "x.csv", ["v", "n", "s", "none", "f"])
    assert path.read_text().splitlines() == ["v,n,s,none,f", "{rate = 0.1},3,bare,,1e-07"]


# -------------------------------------------------------------- Box-Muller


def test_one_box_muller_serves_delays_and_memo_sizes() -> None:
    rng = Streams(5).stream("t")
    u1, u2 = rng.random(), rng.random()
    z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(math.tau * u2)
    assert std_normal(Streams(5).stream("t").random) == z
    size = SizeSpec("lognormal", min=1, max=10_000, median=500.0, sigma=0.5)
    assert size.sample(Streams(5).stream("t")) == max(
        1, min(10_000, round(500 * math.exp(0.5 * z)))
    )
