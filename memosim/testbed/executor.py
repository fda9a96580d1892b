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
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["DASK_HINT", "ExecutorError", "chunks", "dask_available", "run_tasks"]

DASK_HINT = "pip install 'memosim[dask]'"

Task = tuple[Any, ...]


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
) -> list[Any]:
    """``[fn(*t) for t in tasks]``, computed where the arguments say.

    done: called in this process as ``done(index, result)`` when each task
    finishes (in completion order), for a progress display."""
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
    return _on_dask(fn, tasks, workers, scheduler, done)


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
        try:
            for fut in cf.as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
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
    connect_s: float = 10.0,
) -> list[Any]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=min(workers, len(tasks)),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,  # workers' heartbeat noise as it closes
        )
    try:
        try:
            client = Client(  # type: ignore[no-untyped-call]
                cluster if cluster is not None else scheduler, timeout=connect_s
            )
        except (OSError, TimeoutError, ValueError) as ex:
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {ex}") from None
        with client:
            threads = sum(client.nthreads().values()) or workers  # type: ignore[no-untyped-call]
            parts = chunks(len(tasks), threads)
            # pure=False: two equal chunks (a sweep may repeat a combination) still run twice
            futures = [
                client.submit(_chunk, fn, [tasks[i] for i in part], pure=False) for part in parts
            ]
            index = {f.key: k for k, f in enumerate(futures)}
            results: list[Any] = [None] * len(tasks)
            try:
                for fut in as_completed(futures):  # type: ignore[no-untyped-call]
                    part = parts[index[fut.key]]
                    for i, value in zip(part, fut.result()):
                        results[i] = value
                        if done is not None:
                            done(i, value)
            except BaseException:
                client.cancel(futures)  # type: ignore[no-untyped-call]
                raise
            return results
    finally:
        if cluster is not None:
            cluster.close()
