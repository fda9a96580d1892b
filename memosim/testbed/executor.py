"""Where independent runs execute: this process, a local Dask cluster, or a remote one.

``memosim sweep`` and ``memosim explore`` hand a list of independent tasks
(a module-level function and its arguments, each a pure function of its
arguments) to :func:`run_tasks`, which gives their results back in task
order whatever order the workers finish in. Results therefore do not depend
on how many workers there are or where they run.

- ``scheduler`` given: the tasks go to that Dask scheduler (``tcp://host:8786``),
  whose workers must have memosim (and any custom Doer module) importable.
- else ``workers`` 1 (or a single task): run here, one after another.
- else a Dask LocalCluster of ``workers`` processes, one thread each, started
  for these tasks and closed after them.
- On Dask the tasks travel in contiguous chunks, about eight per worker
  thread (:func:`chunks`): a run of a small scenario takes tens of
  milliseconds, about what scheduling one Dask task costs.
- Dask not installed: the local case falls back to a process pool of
  ``workers`` processes (same results); ``scheduler`` needs Dask and says
  how to install it.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

__all__ = ["DASK_HINT", "ExecutorError", "chunks", "dask_available", "run_tasks"]

DASK_HINT = "pip install 'memosim[dask]'"

Task = tuple[Any, ...]

#: Seconds a Dask cluster may have no worker before its tasks are given up.
IDLE_S = 30.0
#: Seconds between looks at a Dask cluster while waiting for results.
POLL_S = 1.0


class ExecutorError(Exception):
    """The tasks cannot run where asked: a scheduler named without Dask
    installed, or one that cannot be reached (one line, exit status 1)."""


def dask_available() -> bool:
    """True when dask.distributed imports."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _ignore_sigint() -> None:
    """Process-pool workers leave Ctrl-C to the parent, which cancels the rest."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[Task],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    done: Callable[[int, Any], None] | None = None,
    name: Callable[[int], str] | None = None,
    idle_s: float = IDLE_S,
) -> list[Any]:
    """``[fn(*t) for t in tasks]``, computed where the arguments say.

    done: called in this process as ``done(index, result)`` when each task
    finishes (in completion order), for a progress display. name: what an
    error calls task i (a run of the sweep); "task i" by default. idle_s:
    how long a Dask cluster may have no worker before the tasks are given up.
    """
    if scheduler is None and (workers <= 1 or len(tasks) <= 1):
        out = []
        for i, t in enumerate(tasks):
            out.append(fn(*t))
            if done is not None:
                done(i, out[-1])
        return out
    if not dask_available():
        if scheduler is not None:
            raise ExecutorError(f"--scheduler needs Dask, which is not installed: {DASK_HINT}")
        return _on_pool(fn, tasks, workers, done)
    return _on_dask(fn, tasks, workers, scheduler, done, name or _task_name, idle_s)


def _task_name(i: int) -> str:
    return f"task {i}"


def _on_pool(
    fn: Callable[..., Any],
    tasks: Sequence[Task],
    workers: int,
    done: Callable[[int, Any], None] | None,
) -> list[Any]:
    results: list[Any] = [None] * len(tasks)
    with cf.ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), initializer=_ignore_sigint
    ) as pool:
        futures = {pool.submit(fn, *t): i for i, t in enumerate(tasks)}
        finished = 0
        try:
            for fut in cf.as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except BrokenProcessPool:
                    raise ExecutorError(
                        f"a worker process died ({finished} of {len(tasks)} runs done); "
                        "run with --jobs 1 to see which run"
                    ) from None
                finished += 1
                if done is not None:
                    done(i, results[i])
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


def _chunk(fn: Callable[..., Any], tasks: Sequence[Task]) -> list[Any]:
    """Worker side of a chunk: several tasks in one Dask task (less scheduling per run)."""
    return [fn(*t) for t in tasks]


def chunks(n: int, workers: int, per_worker: int = 8) -> list[range]:
    """Task indices in contiguous chunks, about per_worker chunks per worker: few
    enough that scheduling costs little, enough that the workers stay balanced."""
    size = max(1, -(-n // (max(1, workers) * per_worker)))
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def _on_dask(
    fn: Callable[..., Any],
    tasks: Sequence[Task],
    workers: int,
    scheduler: str | None,
    done: Callable[[int, Any], None] | None,
    name: Callable[[int], str],
    idle_s: float,
    connect_s: float = 10.0,
) -> list[Any]:
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=min(workers, len(tasks)),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,  # workers' heartbeat noise as it closes
        )
    # Dask's own log records (tracebacks of its reconnect attempts as a lost
    # scheduler's client closes) would bury the one-line errors said here.
    quiet = [logging.getLogger(n) for n in _dask_loggers()]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.CRITICAL)
    try:
        try:
            client = Client(  # type: ignore[no-untyped-call]
                cluster if cluster is not None else scheduler, timeout=connect_s
            )
        except (OSError, TimeoutError, ValueError) as ex:
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {ex}") from None
        with client:
            where = scheduler or "here"
            return _collect(client, fn, tasks, workers, done, name, idle_s, where)
    finally:
        if cluster is not None:
            cluster.close()
        for q, level in zip(quiet, levels):
            q.setLevel(level)


def _dask_loggers() -> list[str]:
    """The loggers of dask.distributed: distributed's config gives some of them
    levels of their own, which the parent's level does not override."""
    names = list(logging.root.manager.loggerDict)
    return ["distributed", *(n for n in names if n.startswith("distributed."))]


def _collect(
    client: Any,
    fn: Callable[..., Any],
    tasks: Sequence[Task],
    workers: int,
    done: Callable[[int, Any], None] | None,
    name: Callable[[int], str],
    idle_s: float,
    where: str,
) -> list[Any]:
    """Submit the tasks in chunks and gather their results in task order.

    A worker that keeps dying on a chunk (Dask gives up after a few tries)
    and a cluster left without workers for idle_s seconds (its tasks would
    wait forever) end the tasks with an ExecutorError."""
    from dask.distributed import wait
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    threads = sum(client.nthreads().values()) or workers
    parts = chunks(len(tasks), threads)
    # pure=False: two equal chunks (a sweep may repeat a combination) still run twice
    futures = [client.submit(_chunk, fn, [tasks[i] for i in part], pure=False) for part in parts]
    index = {f.key: k for k, f in enumerate(futures)}
    results: list[Any] = [None] * len(tasks)
    pending, finished, idle_from = set(futures), 0, time.monotonic()
    try:
        while pending:
            if client.status != "running":  # it could not reconnect to the scheduler
                raise cf.CancelledError
            try:
                ready, pending = wait(pending, timeout=POLL_S, return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
            except TimeoutError:
                ready = set()
            for fut in sorted(ready, key=lambda f: index[f.key]):
                part = parts[index[fut.key]]
                try:
                    values = fut.result()
                except RuntimeError as ex:
                    if "deserialization of the task graph" not in str(ex):
                        raise
                    raise ExecutorError(
                        f"the Dask scheduler at {where} cannot unpickle the runs: it needs "
                        "memosim installed, at the version here (docs/cli.md, Running on Dask)"
                    ) from None
                except KilledWorker:
                    raise ExecutorError(
                        f"Dask workers died each time they ran {_names(part, name)} "
                        "(or a run beside it); see the workers' logs"
                    ) from None
                for i, value in zip(part, values):
                    results[i] = value
                    finished += 1
                    if done is not None:
                        done(i, value)
            if ready or client.nthreads():
                idle_from = time.monotonic()
            elif time.monotonic() - idle_from >= idle_s:
                raise ExecutorError(
                    f"the Dask cluster at {where} has had no workers for {idle_s:g} s "
                    f"({finished} of {len(tasks)} runs done)"
                )
    except (cf.CancelledError, CommClosedError):
        raise ExecutorError(
            f"lost the Dask scheduler at {where} ({finished} of {len(tasks)} runs done)"
        ) from None
    except BaseException:
        client.cancel(futures)
        raise
    return results


def _names(part: range, name: Callable[[int], str]) -> str:
    """The tasks of a chunk as an error names them."""
    if len(part) == 1:
        return name(part[0])
    return f"one of {len(part)} runs from {name(part[0])} to {name(part[-1])}"
