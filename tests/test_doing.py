"""Doer and Doist follow hio 0.7.20's scheduling semantics."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Generator
from typing import Any

import pytest

from memosim import doing
from memosim.doing import Deed, Doer, Doist, doify, doize
from memosim.tyming import Tymist

Log = list[tuple[Any, ...]]


class Rec(Doer):
    """Doer recording every lifecycle context with the tyme it ran at."""

    def __init__(self, log: Log, label: str, stop: int | None = None, **kwa: Any) -> None:
        super().__init__(**kwa)
        self.log = log
        self.label = label
        self.stop = stop
        self.count = 0
        self.entered_temp: bool | None = None

    def enter(self, *, temp: bool | None = None) -> None:
        self.entered_temp = temp
        self.log.append((self.label, "enter", self.tyme))

    def recur(self, tyme: float | None) -> bool:
        self.count += 1
        self.log.append((self.label, "recur", tyme))
        return self.stop is not None and self.count >= self.stop

    def clean(self) -> None:
        self.log.append((self.label, "clean", self.tyme))

    def exit(self) -> None:
        self.log.append((self.label, "exit", self.tyme))

    def cease(self) -> None:
        self.log.append((self.label, "cease", self.tyme))

    def abort(self, ex: Exception) -> None:
        self.log.append((self.label, "abort", str(ex)))


def contexts(log: Log, label: str) -> list[str]:
    return [entry[1] for entry in log if entry[0] == label]


def recur_tymes(log: Log, label: str) -> list[float]:
    return [entry[2] for entry in log if entry[0] == label and entry[1] == "recur"]


# ---------------------------------------------------------------- Doer alone


def test_doer_defaults() -> None:
    doer = Doer(tock=-0.5)
    assert doer.done is None
    assert doer.tock == 0.5  # kept non-negative
    assert doer.opts == {}
    assert doer.temp is False
    assert doer.tyme is None
    assert doer.recur(0.0) is False
    assert Doer(opts={"a": 1}, temp=1).opts == {"a": 1}
    assert Doer(temp=1).temp is True


def test_doer_generator_clean_lifecycle_by_hand() -> None:
    tymist = Tymist(tock=0.25)
    log: Log = []
    doer = Rec(log, "a", stop=2)
    dog = doer(tymth=tymist.tymen(), tock=0.5)
    assert log == []  # nothing runs until the dog is advanced
    assert next(dog) == 0.5  # enter, then yield tock
    assert doer.tyme == 0.0 and doer.tock == 0.5
    assert dog.send(0.0) == 0.5
    with pytest.raises(StopIteration) as info:
        dog.send(0.5)
    assert info.value.value is True
    assert doer.done is True
    assert contexts(log, "a") == ["enter", "recur", "recur", "clean", "exit"]
    assert recur_tymes(log, "a") == [0.0, 0.5]


def test_doer_close_runs_cease_then_exit() -> None:
    log: Log = []
    doer = Rec(log, "a")
    dog = doer(tymth=Tymist().tymen())
    next(dog)
    dog.send(0.0)
    dog.close()
    assert contexts(log, "a") == ["enter", "recur", "cease", "exit"]
    assert not doer.done


def test_doer_exception_runs_abort_then_exit_and_reraises() -> None:
    log: Log = []

    class Bad(Rec):
        def recur(self, tyme: float | None) -> bool:
            super().recur(tyme)
            raise ValueError("bad")

    doer = Bad(log, "a")
    dog = doer(tymth=Tymist().tymen())
    next(dog)
    with pytest.raises(ValueError, match="bad"):
        dog.send(0.0)
    assert contexts(log, "a") == ["enter", "recur", "abort", "exit"]
    assert log[2] == ("a", "abort", "bad")


def test_doer_exception_in_enter_aborts() -> None:
    log: Log = []

    class Bad(Rec):
        def enter(self, *, temp: bool | None = None) -> None:
            raise RuntimeError("no resource")

    dog = Bad(log, "a")(tymth=Tymist().tymen())
    with pytest.raises(RuntimeError):
        next(dog)
    assert contexts(log, "a") == ["abort", "exit"]


def test_doer_temp_injection() -> None:
    log: Log = []
    plain = Rec(log, "p")
    next(plain(tymth=Tymist().tymen()))
    assert plain.entered_temp is None

    keen = Rec(log, "k", temp=True)
    next(keen(tymth=Tymist().tymen(), temp=None))
    assert keen.entered_temp is True  # own temp wins when none is given

    given = Rec(log, "g")
    next(given(tymth=Tymist().tymen(), temp=True))
    assert given.entered_temp is True


class ReDoer(Doer):
    """Doer whose recur is a generator method, delegated to with yield from."""

    def __init__(self, log: Log, **kwa: Any) -> None:
        super().__init__(**kwa)
        self.log = log

    def enter(self, *, temp: bool | None = None) -> None:
        self.log.append(("re", "enter", self.tyme))

    def recur(self, tock: float | None = None) -> Generator[Any, Any, bool]:  # type: ignore[override]
        self.log.append(("re", "setup", tock))
        for _ in range(3):
            tyme = yield tock
            self.log.append(("re", "recur", tyme))
        return True

    def clean(self) -> None:
        self.log.append(("re", "clean", self.tyme))

    def exit(self) -> None:
        self.log.append(("re", "exit", self.tyme))


def test_doer_generator_recur_is_delegated() -> None:
    log: Log = []
    doer = ReDoer(log, tock=0.25)
    doist = Doist(tock=0.125, doers=[doer])
    doist.do()
    assert doist.done is True
    assert doer.done is True
    assert log == [
        ("re", "enter", 0.0),
        ("re", "setup", 0.25),  # set up during enter with the doer's tock
        ("re", "recur", 0.0),
        ("re", "recur", 0.25),
        ("re", "recur", 0.5),
        ("re", "clean", 0.5),
        ("re", "exit", 0.5),
    ]


# ---------------------------------------------------------------- Doist


def test_doist_defaults() -> None:
    doist = Doist()
    assert isinstance(doist, Tymist)
    assert doist.name == "doist"
    assert doist.real is False
    assert doist.limit is None
    assert doist.done is None
    assert doist.doers == [] and doist.deeds == deque()
    assert doist.tyme == 0.0 and doist.tock == Doist.Tock
    assert doist.temp is False
    doist = Doist(name="x", real=1, limit=-2, tyme=3, tock=0.5, doers=(Doer(),), temp=1)
    assert (doist.name, doist.real, doist.limit, doist.tyme, doist.tock) == (
        "x",
        True,
        2.0,
        3.0,
        0.5,
    )
    assert len(doist.doers) == 1 and doist.temp is True


def test_doist_tock_scheduling_order_and_limit() -> None:
    log: Log = []
    every = Rec(log, "every", tock=0.0)
    quarter = Rec(log, "quarter", tock=0.25)
    half = Rec(log, "half", tock=0.5)
    doist = Doist(tock=0.125, limit=1.0, doers=[every, quarter, half])
    doist.do()

    assert doist.done is False  # stopped by limit, not by completion
    assert doist.tyme == 1.0
    assert recur_tymes(log, "every") == [0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875]
    assert recur_tymes(log, "quarter") == [0.0, 0.25, 0.5, 0.75]
    assert recur_tymes(log, "half") == [0.0, 0.5]
    # enters in list order, runs in deed order within a pass, exits reversed
    assert log[:3] == [("every", "enter", 0.0), ("quarter", "enter", 0.0), ("half", "enter", 0.0)]
    assert [e[0] for e in log[3:6]] == ["every", "quarter", "half"]
    assert log[-6:] == [
        ("half", "cease", 1.0),
        ("half", "exit", 1.0),
        ("quarter", "cease", 1.0),
        ("quarter", "exit", 1.0),
        ("every", "cease", 1.0),
        ("every", "exit", 1.0),
    ]
    assert doist.deeds == deque()
    assert [d.done for d in (every, quarter, half)] == [False, False, False]


def test_doist_completes_when_all_done() -> None:
    log: Log = []
    short = Rec(log, "short", stop=2, tock=0.0)
    long = Rec(log, "long", stop=3, tock=1.0)
    doist = Doist(tock=0.25)
    doist.do(doers=[short, long])
    assert doist.done is True
    assert short.done is True and long.done is True
    assert recur_tymes(log, "short") == [0.0, 0.25]
    assert recur_tymes(log, "long") == [0.0, 1.0, 2.0]
    assert contexts(log, "short") == ["enter", "recur", "recur", "clean", "exit"]
    assert contexts(log, "long")[-2:] == ["clean", "exit"]
    assert doist.tyme == 2.25  # the pass that finished "long" still ticks
    assert not doist.deeds


def test_doist_runtime_tock_change_and_cumulative_retyme() -> None:
    log: Log = []

    class Changer(Rec):
        def recur(self, tyme: float | None) -> bool:
            if self.count == 1:
                self.tock = 0.75
            return super().recur(tyme)

    doer = Changer(log, "c", tock=0.5)
    # retyme advances from the previous retyme, not from the tyme it ran at
    Doist(tock=0.25, limit=3.0).do(doers=[doer])
    assert recur_tymes(log, "c") == [0.0, 0.5, 1.25, 2.0, 2.75]


def test_doist_do_resets_tyme_and_limit_arguments() -> None:
    log: Log = []
    doist = Doist(tock=0.5)
    doist.do(doers=[Rec(log, "a")], limit=1.0, tyme=10.0)
    assert doist.limit == 1.0
    assert recur_tymes(log, "a") == [10.0, 10.5]
    assert doist.tyme == 11.0


def test_doist_call_runs_do() -> None:
    log: Log = []
    doist = Doist(tock=1.0, doers=[Rec(log, "a", stop=1)])
    assert doist() is None
    assert doist.done is True
    assert contexts(log, "a") == ["enter", "recur", "clean", "exit"]


def test_doist_step_by_step_with_deeds() -> None:
    log: Log = []
    a = Rec(log, "a", tock=0.5)
    doist = Doist(tock=0.25, doers=[a])
    deeds = doist.enter()
    assert deeds is doist.deeds
    assert len(deeds) == 1
    deed = deeds[0]
    assert isinstance(deed, Deed)
    assert deed.retyme == 0.0 and deed.doer is a
    assert a.done is False  # marked incomplete on enter

    doist.recur()
    assert doist.tyme == 0.25 and doist.deeds[0].retyme == 0.5
    doist.recur()  # not due yet
    assert recur_tymes(log, "a") == [0.0]
    doist.recur()
    assert recur_tymes(log, "a") == [0.0, 0.5]
    assert doist.deeds[0].retyme == 1.0
    doist.exit()
    assert contexts(log, "a")[-2:] == ["cease", "exit"]
    assert not doist.deeds


def test_doist_recur_catches_up_one_run_per_pass() -> None:
    """A simulator jumping tyme forward runs an overdue doer once per pass."""
    log: Log = []
    doist = Doist(tock=0.25, doers=[Rec(log, "a", tock=1.0)])
    doist.enter()
    doist.recur()
    doist.tyme = 10.0  # as a SimPy subclass would do from env.now
    doist.recur()
    doist.recur()
    assert recur_tymes(log, "a") == [0.0, 10.0, 10.25]
    doist.exit()


def test_doist_exception_closes_others_and_propagates() -> None:
    log: Log = []

    class Bad(Rec):
        def recur(self, tyme: float | None) -> bool:
            super().recur(tyme)
            if self.count == 3:
                raise ValueError("broken")
            return False

    first = Rec(log, "first")
    bad = Bad(log, "bad")
    last = Rec(log, "last")
    doist = Doist(tock=1.0, doers=[first, bad, last])
    with pytest.raises(ValueError, match="broken"):
        doist.do()
    assert contexts(log, "bad")[-2:] == ["abort", "exit"]
    assert contexts(log, "first")[-2:] == ["cease", "exit"]
    assert contexts(log, "last")[-2:] == ["cease", "exit"]
    # the failing pass had already re-queued "first", so it is closed after "last"
    closes = [e[0] for e in log if e[1] == "cease"]
    assert closes == ["first", "last"]
    assert doist.done is False
    assert not doist.deeds


def test_doist_keyboard_interrupt_stops_cleanly() -> None:
    log: Log = []

    class Interrupt(Rec):
        def recur(self, tyme: float | None) -> bool:
            raise KeyboardInterrupt

    other = Rec(log, "other")
    doist = Doist(tock=1.0, doers=[other, Interrupt(log, "int")])
    doist.do()  # swallowed: shut down, closing the rest
    assert doist.done is False
    assert contexts(log, "other") == ["enter", "recur", "cease", "exit"]
    assert contexts(log, "int") == ["enter", "exit"]


def test_doist_doer_finishing_in_enter_is_not_queued() -> None:
    class Instant(Doer):
        def do(
            self, tymth: Any, *, tock: float = 0.0, temp: bool | None = None, **opts: Any
        ) -> Any:
            return "finished"
            yield  # makes this a generator

    instant = Instant()
    doist = Doist()
    deeds = doist.enter(doers=[instant])
    assert deeds == deque()
    assert deeds is not doist.deeds
    assert instant.done == "finished"


def test_doist_temp_reaches_doer_enter() -> None:
    log: Log = []
    a, b = Rec(log, "a"), Rec(log, "b")
    Doist(tock=1.0, limit=1.0, temp=True).do(doers=[a, b])
    assert a.entered_temp is True and b.entered_temp is True

    c, d = Rec(log, "c"), Rec(log, "d", temp=True)
    Doist(tock=1.0, limit=1.0).do(doers=[c, d])
    assert c.entered_temp is None and d.entered_temp is True

    e, f = Rec(log, "e", temp=True), Rec(log, "f")
    Doist(tock=1.0, limit=1.0).do(doers=[e, f])
    assert f.entered_temp is None  # one doer's temp does not leak to the next


def test_doist_extend_and_remove_at_runtime() -> None:
    log: Log = []
    keep = Rec(log, "keep", tock=0.5)
    drop = Rec(log, "drop")
    late = Rec(log, "late", tock=0.5)
    doist = Doist(tock=0.25, limit=2.0)

    class Manager(Doer):
        def recur(self, tyme: float | None) -> bool:
            if tyme == 0.5:
                doist.extend([late, keep])  # keep is already there: ignored
            if tyme == 1.0:
                doist.remove([drop, Rec(log, "stranger")])  # unknown: ignored
            return False

    manager = Manager()
    doist.do(doers=[manager, keep, drop])

    assert contexts(log, "late")[0] == "enter"
    assert log.index(("late", "enter", 0.5)) < log.index(("late", "recur", 0.75))
    # extended during the 0.5 pass: enters then with retyme 0.5, first runs on
    # the next pass, and later runs stay on the grid counted from that retyme
    assert recur_tymes(log, "late") == [0.75, 1.0, 1.5]
    assert recur_tymes(log, "drop") == [0.0, 0.25, 0.5, 0.75]  # ran before manager at 1.0
    assert contexts(log, "drop")[-2:] == ["cease", "exit"]
    assert log.index(("drop", "cease", 1.0)) < log.index(("keep", "recur", 1.0))
    assert recur_tymes(log, "keep") == [0.0, 0.5, 1.0, 1.5]
    assert doist.doers == [manager, keep, late]
    assert contexts(log, "stranger") == []
    assert doist.done is False


def test_doist_remove_everything_finishes() -> None:
    log: Log = []
    a, b = Rec(log, "a"), Rec(log, "b")
    doist = Doist(tock=1.0, doers=[a, b])
    doist.enter()
    doist.recur()
    doist.remove([a, b])
    assert doist.doers == [] and not doist.deeds
    assert [e[:2] for e in log if e[1] in ("cease", "exit")] == [
        ("b", "cease"),
        ("b", "exit"),
        ("a", "cease"),
        ("a", "exit"),
    ]


# ---------------------------------------------------------------- doify / doize


def counter(
    tymth: Any, tock: float = 0.0, *, temp: bool | None = None, log: Log | None = None, **opts: Any
) -> Generator[float, Any, bool]:
    """Generator function used as a doer: counts to three."""
    assert log is not None
    log.append(("enter", tymth(), temp, tock, sorted(opts)))
    try:
        for _ in range(3):
            tyme = yield tock
            log.append(("recur", tyme))
    except GeneratorExit:
        log.append(("cease", tymth()))
    finally:
        log.append(("exit", tymth()))
    return True


def test_doify_makes_independent_copies() -> None:
    log_a: Log = []
    log_b: Log = []
    a = doify(counter, name="a", tock=0.5, log=log_a, extra=1)
    b = doify(counter, tock=0.25, log=log_b)
    assert a is not b and a is not counter
    assert a.__name__ == "a" and b.__name__ == "counter"
    assert a.__doc__ == counter.__doc__
    assert (a.done, a.tock, a.temp, a.opts) == (None, 0.5, None, {"log": log_a, "extra": 1})
    assert b.tock == 0.25 and b.opts == {"log": log_b}
    assert not hasattr(counter, "tock")

    doist = Doist(tock=0.25)
    doist.do(doers=[a, b])
    assert doist.done is True
    assert a.done is True and b.done is True
    assert log_a[0] == ("enter", 0.0, None, 0.5, ["extra"])
    assert [e[1] for e in log_a if e[0] == "recur"] == [0.0, 0.5, 1.0]
    assert [e[1] for e in log_b if e[0] == "recur"] == [0.0, 0.25, 0.5]
    assert log_a[-1] == ("exit", 1.0)


def test_doize_decorates_in_place_and_is_closed_on_limit() -> None:
    log: Log = []

    @doize(tock=1.0, log=log)
    def slow(
        tymth: Any, tock: float = 0.0, *, temp: bool | None = None, log: Log, **opts: Any
    ) -> Generator[float, Any, bool]:
        return (yield from counter(tymth, tock, temp=temp, log=log, **opts))

    assert slow.done is None and slow.tock == 1.0 and slow.opts == {"log": log}
    doist = Doist(tock=0.5, limit=1.5, temp=True)
    doist.do(doers=[slow])
    assert log[0] == ("enter", 0.0, True, 1.0, [])
    assert log[1:] == [("recur", 0.0), ("recur", 1.0), ("cease", 1.5), ("exit", 1.5)]
    assert slow.done is False


def test_doify_bound_method_keeps_done_on_its_function() -> None:
    class Owner:
        def __init__(self) -> None:
            self.seen: list[float] = []

        def run(self, tymth: Any, tock: float = 0.0, **opts: Any) -> Generator[float, Any, bool]:
            tyme = yield tock
            self.seen.append(tyme)
            return True

    owner = Owner()
    bound = doify(owner.run, tock=0.5)
    assert bound.__self__ is owner
    assert bound.tock == 0.5 and bound.done is None
    Doist(tock=0.25).do(doers=[bound])
    assert owner.seen == [0.0]
    assert bound.done is True
    assert not hasattr(Owner.run, "done")


# ---------------------------------------------------------------- time


def test_doist_without_real_never_reads_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_: Any) -> float:
        raise AssertionError("wall clock read")

    monkeypatch.setattr(doing.time, "monotonic", forbidden)
    monkeypatch.setattr(doing.time, "sleep", forbidden)
    log: Log = []
    doist = Doist(tock=0.5, limit=100.0)
    doist.do(doers=[Rec(log, "a", tock=10.0)])
    assert recur_tymes(log, "a") == [10.0 * i for i in range(10)]


def test_doist_real_pacing_roughly_honours_tock() -> None:
    log: Log = []
    tock = 1 / 64
    doist = Doist(real=True, tock=tock, limit=8 * tock)
    began = time.monotonic()
    doist.do(doers=[Rec(log, "a")])
    took = time.monotonic() - began
    assert doist.tyme == 8 * tock
    assert len(recur_tymes(log, "a")) == 8
    assert took >= 8 * tock * 0.9
    assert took < 2.0  # generous: loaded CI machines


def test_doist_pace_hook_can_be_replaced() -> None:
    """A simulation subclass swaps wall-clock pacing for its own."""
    calls: list[tuple[bool, float]] = []

    class SimDoist(Doist):
        def _pace(self, *, start: bool = False) -> None:
            calls.append((start, self.tyme))

    log: Log = []
    doist = SimDoist(real=True, tock=10.0, limit=30.0)
    began = time.monotonic()
    doist.do(doers=[Rec(log, "a")])
    assert time.monotonic() - began < 1.0  # no real waiting for 30 s of tyme
    assert calls == [(True, 0.0), (False, 10.0), (False, 20.0), (False, 30.0)]
    assert recur_tymes(log, "a") == [0.0, 10.0, 20.0]
