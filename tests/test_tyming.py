"""Tymist, Tymee and Tymer follow hio 0.7.20's tyme semantics."""

from __future__ import annotations

from typing import Any

import pytest

from memosim.tyming import Tymee, Tymer, Tymist


def test_tymist_defaults_and_tick() -> None:
    tymist = Tymist()
    assert tymist.tyme == 0.0
    assert tymist.tock == Tymist.Tock == 0.03125
    assert tymist.tick() == 0.03125
    assert tymist.tick() == 0.0625
    assert tymist.tick(tock=1) == 1.0625  # explicit tock overrides once
    assert tymist.tock == 0.03125
    assert isinstance(tymist.tick(tock=2), float)


def test_tymist_init_and_setters_coerce_to_float() -> None:
    tymist = Tymist(tyme=2, tock=1)
    assert tymist.tyme == 2.0 and isinstance(tymist.tyme, float)
    assert tymist.tock == 1.0 and isinstance(tymist.tock, float)
    tymist.tyme = 10
    tymist.tock = 0.5
    assert tymist.tick() == 10.5


def test_tymen_closure_tracks_tymist_readonly() -> None:
    tymist = Tymist(tock=0.25)
    tymth = tymist.tymen()
    assert tymth() == 0.0
    tymist.tick()
    assert tymth() == 0.25
    tymist.tyme = 7.0
    assert tymth() == 7.0
    assert tymist.tymen() is not tymth  # a fresh closure each call, same base
    assert tymist.tymen()() == 7.0


def test_tymee_unwound_then_wound() -> None:
    tymee = Tymee()
    assert tymee.tymth is None
    assert tymee.tyme is None

    first = Tymist(tyme=1.0)
    tymee.wind(first.tymen())
    assert tymee.tyme == 1.0
    first.tick(tock=0.5)
    assert tymee.tyme == 1.5

    second = Tymist(tyme=100.0)
    tymee.tymth = second.tymen()
    assert tymee.tyme == 100.0

    assert Tymee(tymth=first.tymen()).tyme == 1.5


class _Base:
    def __init__(self, *, label: str = "", **kwa: Any) -> None:
        super().__init__(**kwa)
        self.label = label


def test_cooperative_init_mixes_into_other_classes() -> None:
    class Mixed(Tymee, _Base):
        pass

    class Clocked(Tymist, _Base):
        pass

    tymist = Tymist(tyme=3.0)
    mixed = Mixed(tymth=tymist.tymen(), label="peer")
    assert mixed.label == "peer" and mixed.tyme == 3.0

    clocked = Clocked(tyme=1.0, tock=0.5, label="clock")
    assert clocked.label == "clock" and clocked.tick() == 1.5

    with pytest.raises(TypeError):
        Tymee(bogus=1)  # unknown keywords still reach object and fail


def test_tymer_unwound_defaults() -> None:
    tymer = Tymer()
    assert Tymer.Duration == 0.0
    assert tymer.tyme is None
    assert tymer.duration == 0.0
    assert tymer._start == 0.0 and tymer._stop == 0.0

    tymer = Tymer(duration=2.5)
    assert tymer.duration == 2.5
    assert tymer._start == 0.0 and tymer._stop == 2.5


def test_tymer_expiry_elapsed_remaining() -> None:
    tymist = Tymist(tyme=1.0, tock=0.25)
    tymer = Tymer(duration=1.0, tymth=tymist.tymen())
    assert tymer._start == 1.0  # starts at current tyme
    assert tymer.duration == 1.0
    assert tymer.elapsed == 0.0
    assert tymer.remaining == 1.0
    assert not tymer.expired

    for _ in range(3):
        tymist.tick()
    assert tymer.elapsed == 0.75
    assert tymer.remaining == 0.25
    assert not tymer.expired

    tymist.tick()  # tyme == stop exactly: expired
    assert tymer.remaining == 0.0
    assert tymer.expired

    tymist.tick()
    assert tymer.remaining == -0.25
    assert tymer.expired


def test_tymer_explicit_start_may_be_past_or_future() -> None:
    tymist = Tymist(tyme=5.0)
    future = Tymer(duration=1.0, start=6.0, tymth=tymist.tymen())
    assert future.elapsed == -1.0
    assert future.remaining == 2.0

    past = Tymer(duration=1.0, start=3.0, tymth=tymist.tymen())
    assert past.expired
    assert past.elapsed == 2.0


def test_tymer_start_keeps_or_replaces_duration() -> None:
    tymist = Tymist()
    tymer = Tymer(duration=2.0, tymth=tymist.tymen())
    tymist.tyme = 3.0
    assert tymer.expired
    assert tymer.start() == 3.0  # same duration from now
    assert tymer.duration == 2.0 and tymer.remaining == 2.0 and not tymer.expired
    assert tymer.start(duration=0.5, start=10.0) == 10.0
    assert tymer.duration == 0.5 and tymer.remaining == 7.5


def test_tymer_restart_is_lossless() -> None:
    tymist = Tymist()
    tymer = Tymer(duration=1.0, tymth=tymist.tymen())
    tymist.tyme = 1.3  # overshot the stop at 1.0
    assert tymer.expired
    assert tymer.restart() == 1.0  # restarts at old stop, not at now
    assert tymer.remaining == pytest.approx(0.7)
    assert not tymer.expired

    assert tymer.restart(duration=0.25) == 2.0
    assert tymer.duration == 0.25
    assert tymer._stop == 2.25


def test_tymer_wind_restarts_on_new_base() -> None:
    old = Tymist(tyme=0.0)
    new = Tymist(tyme=50.0)
    tymer = Tymer(duration=2.0, tymth=old.tymen())
    old.tyme = 1.0
    tymer.wind(new.tymen())
    assert tymer.tyme == 50.0
    assert tymer._start == 50.0 and tymer.duration == 2.0
    assert tymer.elapsed == 0.0
    new.tick(tock=2.0)
    assert tymer.expired

    unwound = Tymer(duration=3.0)  # winding later starts at that base's tyme
    unwound.wind(new.tymen())
    assert unwound._start == 52.0 and unwound.remaining == 3.0
