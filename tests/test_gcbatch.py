"""batched_gc: the young-generation threshold is raised for a run and put back after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from memosim.sim.gcbatch import RUN_THRESHOLD, batched_gc


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    saved, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(700, 10, 10)
    gc.enable()
    yield
    gc.set_threshold(*saved)
    if not enabled:
        gc.disable()


def test_raised_inside_and_restored_after_even_on_error() -> None:
    with batched_gc():
        assert gc.get_threshold() == (RUN_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(RuntimeError), batched_gc():
        raise RuntimeError("a run that breaks")
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_runs_restore_once_at_the_outermost() -> None:
    with batched_gc():
        with batched_gc():
            assert gc.get_threshold()[0] == RUN_THRESHOLD
        assert gc.get_threshold()[0] == RUN_THRESHOLD
    assert gc.get_threshold() == (700, 10, 10)


def test_a_process_that_chose_its_own_collection_is_left_alone() -> None:
    gc.set_threshold(50_000, 5, 5)
    with batched_gc():
        assert gc.get_threshold() == (50_000, 5, 5)
    gc.set_threshold(700, 10, 10)
    gc.disable()
    with batched_gc():
        assert gc.get_threshold() == (700, 10, 10) and not gc.isenabled()


def test_overlapping_runs_in_threads_put_the_default_back() -> None:
    inside = threading.Barrier(2)
    leave_first = threading.Event()

    def first() -> None:
        with batched_gc():
            inside.wait()
        leave_first.set()

    def second() -> None:
        with batched_gc():
            inside.wait()
            leave_first.wait(5)
            assert gc.get_threshold()[0] == RUN_THRESHOLD  # the other run left; this one has not

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_simulated_run_leaves_the_thresholds_as_it_found_them() -> None:
    from pathlib import Path

    from memosim.testbed.scenario import load_scenario
    from memosim.testbed.simrun import run_sim

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "clean-lan.toml")
    seen: list[tuple[int, int, int]] = []

    class Display:  # told the tyme every pass: it sees the thresholds the run has
        def update(self, *_: object) -> None:
            seen.append(gc.get_threshold())

    result = run_sim(scenario, "SafePeerMemoerDoer", 1, progress=Display())
    assert result.summary["memos_delivered"] > 0
    assert seen and all(t[0] == RUN_THRESHOLD for t in seen)
    assert gc.get_threshold() == (700, 10, 10)
