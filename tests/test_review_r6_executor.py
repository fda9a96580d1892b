"""Review r6: sweeps and explore on Dask when things go wrong: a run that
raises is named, a worker that dies or a cluster left without workers is
one line and a non-zero exit (never a hang or a traceback), Ctrl-C stops a
local cluster's command leaving no process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from test_cli import TINY

from memosim.cli import main
from memosim.testbed.executor import ExecutorError, run_tasks

TESTS = Path(__file__).resolve().parent


def square_plus(x: int, y: int) -> int:
    return x * x + y


def exit_on(x: int, bad: int) -> int:
    """x, unless x is bad: then the process ends, as a killed worker's does."""
    if x == bad:
        os._exit(7)
    return x


def _tiny(tmp_path: Path, doers: str) -> Path:
    text = TINY.replace("seed = 3\n", f"seed = 3\ndoers = [{doers}]\n")
    path = tmp_path / "tiny.toml"
    path.write_text(text)
    return path


def _children() -> list[psutil.Process]:
    """This process's children but multiprocessing's resource tracker, which
    the first spawned process starts and which lives as long as this one."""
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(p.cmdline()):
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.fixture
def no_children_left() -> Iterator[None]:
    """No process the test starts outlives it by more than a few seconds (a
    pool's processes exit just after its last result). Children that were
    there before (a notebook test's kernel, say) are not the test's."""
    before = {p.pid for p in _children()}
    yield
    _gone, alive = psutil.wait_procs([p for p in _children() if p.pid not in before], timeout=10)
    assert not alive, alive


def test_a_sweep_run_that_raises_names_its_combination_and_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scen = _tiny(tmp_path, '"PeerMemoerDoer", "explore_doers:RaisingDoer"')
    argv = ["sweep", str(scen), "--param", "links.0.loss.rate=0.1,0.2", "--seeds", "2"]
    code = main([*argv, "--jobs", "1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"{scen} with links.0.loss.rate = 0.1, seed 3: Doer "), err
    assert "explore_doers:RaisingDoer" in err and "deliberately broken" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_sweep_refuses_jobs_with_a_scheduler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scen = _tiny(tmp_path, '"PeerMemoerDoer"')
    argv = ["sweep", str(scen), "--param", "links.0.loss.rate=0.1", "--jobs", "2"]
    code = main([*argv, "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")])
    assert code == 2
    assert capsys.readouterr().err == (
        "memosim sweep: error: argument --jobs: not with --scheduler (the cluster has its "
        "workers)\n"
    )
    assert not (tmp_path / "o").exists()


def test_a_worker_that_dies_is_one_error_naming_the_task(no_children_left: None) -> None:
    started = time.monotonic()
    with pytest.raises(ExecutorError) as info:
        run_tasks(exit_on, [(i, 2) for i in range(4)], workers=2, name=lambda i: f"task {i}")
    assert time.monotonic() - started < 60
    text = str(info.value)
    assert "\n" not in text
    # Dask blames each task its dying worker held; the one that ran when it died is
    # one of them
    assert re.fullmatch(
        r"Dask workers died each time they ran task [0-3] \(or a run beside it\); "
        r"see the workers' logs",
        text,
    ), text


def test_a_sweep_whose_worker_dies_exits_1_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_children_left: None
) -> None:
    scen = _tiny(tmp_path, '"review_r6_doers:DyingDoer"')
    argv = ["sweep", str(scen), "--param", "links.0.loss.rate=0.1", "--seeds", "2"]
    code = main([*argv, "--jobs", "2", "--out", str(tmp_path / "o"), "--no-plots"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(
        f"memosim sweep: error: Dask workers died each time they ran {scen} with "
        "links.0.loss.rate = 0.1, seed "
    ), err
    assert "review_r6_doers:DyingDoer" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_cluster_without_workers_gives_up_in_bounded_time() -> None:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        started = time.monotonic()
        with pytest.raises(ExecutorError) as info:
            run_tasks(
                square_plus,
                [(1, 2), (3, 4)],
                scheduler=cluster.scheduler_address,
                idle_s=1.0,
            )
        assert time.monotonic() - started < 10
    assert str(info.value) == (
        f"the Dask cluster at {cluster.scheduler_address} has had no workers for 1 s "
        "(0 of 2 runs done)"
    )


def test_ctrl_c_stops_a_sweep_on_a_local_cluster_and_leaves_no_process(
    tmp_path: Path,
) -> None:
    scen = _tiny(tmp_path, '"PeerMemoerDoer", "SafePeerMemoerDoer"')
    out = tmp_path / "o"
    argv = ["sweep", str(scen), "--param", "links.0.loss.rate=0.05,0.1,0.2", "--seeds", "400"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "memosim", *argv, "--jobs", "2", "--out", str(out)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(TESTS)},
    )
    try:
        time.sleep(6.0)  # the cluster up, runs under way
        assert proc.poll() is None, proc.communicate()
        family = psutil.Process(proc.pid).children(recursive=True)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert time.monotonic() - started < 15
    assert proc.returncode == 130
    assert stdout == ""
    assert stderr == (
        "memosim sweep: interrupted by SIGINT; no results written for the run cut short\n"
    )
    assert not out.exists()
    _gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, alive


def test_a_scheduler_lost_mid_run_is_one_line(tmp_path: Path) -> None:
    """A `dask scheduler` started by hand on an OS-chosen loopback port, with no
    worker: the runs wait; the scheduler dies; the sweep ends with one line
    (no log record of Dask's client on the way)."""
    log = (tmp_path / "scheduler.log").open("w+")
    dask = Path(sys.executable).with_name("dask")
    proc = subprocess.Popen(
        [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    scen = _tiny(tmp_path, '"PeerMemoerDoer"')
    argv = [
        "sweep",
        str(scen),
        "--param",
        "links.0.loss.rate=0.1,0.2",
        "--out",
        str(tmp_path / "o"),
    ]
    try:
        address = _scheduler_address(tmp_path / "scheduler.log", proc)
        killer = threading.Timer(3.0, proc.kill)  # the command connected and waiting
        killer.start()
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "memosim", *argv, "--scheduler", address],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert time.monotonic() - started < 15
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"memosim sweep: error: lost the Dask scheduler at {address} (0 of 2 runs done)\n"
    )
    assert not (tmp_path / "o").exists()


def test_a_scheduler_that_cannot_unpickle_the_runs_is_one_line(tmp_path: Path) -> None:
    """A scheduler started where this test module is not importable (as one
    without memosim would be for a sweep) rejects the task graph."""
    log = (tmp_path / "scheduler.log").open("w+")
    dask = Path(sys.executable).with_name("dask")
    proc = subprocess.Popen(
        [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    try:
        address = _scheduler_address(tmp_path / "scheduler.log", proc)
        with pytest.raises(ExecutorError) as info:
            run_tasks(square_plus, [(1, 2), (3, 4)], scheduler=address, idle_s=20)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert str(info.value) == (
        f"the Dask scheduler at {address} cannot unpickle the runs: it needs memosim "
        "installed, at the version here (docs/cli.md, Running on Dask)"
    )


def _scheduler_address(log: Path, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = re.search(r"Scheduler at:\s+(tcp://127\.0\.0\.1:\d+)", log.read_text())
        if found:
            return found.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(log.read_text())


def test_without_dask_a_pool_worker_that_dies_is_one_error(
    monkeypatch: pytest.MonkeyPatch, no_children_left: None
) -> None:
    from memosim.testbed import executor

    monkeypatch.setattr(executor, "dask_available", lambda: False)
    with pytest.raises(ExecutorError) as info:
        run_tasks(exit_on, [(i, 1) for i in range(3)], workers=2)
    # the pool breaks as a whole: which run ended the process it cannot tell
    assert re.fullmatch(
        r"a worker process died \([0-2] of 3 runs done\); run with --jobs 1 to see which run",
        str(info.value),
    ), str(info.value)
