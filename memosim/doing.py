"""Generator-based cooperative scheduling with hio 0.7.20's names and semantics.

A *doer* is anything callable as ``doer(tymth=..., tock=..., temp=..., **opts)``
that returns a generator (a *dog*) and carries ``done``, ``tock``, ``temp`` and
``opts`` attributes: a :class:`Doer` instance, or a plain generator function
prepared with :func:`doify` / :func:`doize`. A dog yields the tyme it wants to
wait before running again (0 or ``None``: next pass) and is sent the current
tyme each time it runs.

:class:`Doist` is the root scheduler. It is a :class:`~memosim.tyming.Tymist`:
each pass over its deeds ends with a ``tick``, so schedules are a pure function
of the doers and the tock; only ``real=True`` ties passes to the wall clock.
"""

from __future__ import annotations

import inspect
import time
import types
from collections import deque
from collections.abc import Callable, Generator, Iterable
from typing import Any, NamedTuple

from .tyming import Tymee, Tymer, Tymist, Tymth

__all__ = ["Deed", "Doer", "Doist", "doify", "doize"]

#: A running doer: fed tymes, yields tocks, returns its done state.
Dog = Generator[Any, Any, Any]


class Deed(NamedTuple):
    """One scheduled dog: when it runs next and which doer it belongs to."""

    dog: Dog | None
    retyme: float | None
    doer: Any


# Appended at the end of a pass so dogs added or re-queued during the pass
# wait for the next one. Recognised by ``dog is None``.
_MARK = Deed(None, None, None)


def _set_done(doer: Any, done: Any) -> None:
    """Record a doer's done state; bound methods keep it on their function."""
    if done is None:
        return
    try:
        doer.done = done
    except AttributeError:  # bound method: attributes live on __func__
        doer.__func__.done = done


def _copy_function(f: Callable[..., Any], name: str | None = None) -> types.FunctionType:
    """Make an independent function object sharing f's code, so each copy
    can carry its own done/tock/temp/opts."""
    func = getattr(f, "__func__", f)  # unwrap a bound method
    g = types.FunctionType(
        func.__code__,
        func.__globals__,
        name or func.__name__,
        func.__defaults__,
        func.__closure__,
    )
    g.__kwdefaults__ = dict(func.__kwdefaults__) if func.__kwdefaults__ else None
    g.__doc__ = func.__doc__
    g.__module__ = func.__module__
    g.__qualname__ = func.__qualname__ if name is None else name
    g.__dict__.update(func.__dict__)
    return g


def doify(
    f: Callable[..., Dog],
    *,
    name: str | None = None,
    tock: float = 0.0,
    temp: bool | None = None,
    **opts: Any,
) -> Any:
    """Return a fresh copy of generator function (or bound method) ``f`` with
    its own scheduling attributes, so one function can back several doers."""
    g: Any = _copy_function(f, name=name)
    g.done = None
    g.tock = tock
    g.temp = temp
    g.opts = dict(opts)
    if inspect.ismethod(f):
        g = types.MethodType(g, f.__self__)
    return g


def doize(
    *, tock: float = 0.0, temp: bool | None = None, **opts: Any
) -> Callable[[Callable[..., Dog]], Any]:
    """Decorator giving a generator function its scheduling attributes in place
    (a single shared doer, unlike :func:`doify`)."""

    def decorator(f: Callable[..., Dog]) -> Any:
        g: Any = f
        g.done = None
        g.tock = tock
        g.temp = temp
        g.opts = dict(opts)
        return f

    return decorator


class Doer(Tymee):
    """Base class whose lifecycle hooks are driven by a generator, :meth:`do`.

    Subclasses override the hooks rather than write generators. The contexts
    run in one of these orders: enter, recur..., clean, exit (finished);
    enter, recur..., cease, exit (closed by the scheduler); enter, [recur...],
    abort, exit (an exception, which is re-raised).

    ``recur`` may be a plain method (called once per run with the tyme, returns
    True when finished) or a generator method ``recur(tock=...)`` that is
    delegated to with ``yield from`` and returns the done state.
    """

    def __init__(
        self,
        *,
        tymth: Tymth | None = None,
        tock: float = 0.0,
        opts: dict[str, Any] | None = None,
        temp: bool = False,
        **kwa: Any,
    ) -> None:
        super().__init__(tymth=tymth, **kwa)
        self.done: bool | None = None
        self.tock = tock
        self.opts: dict[str, Any] = opts if opts is not None else {}
        self.temp = bool(temp)

    def __call__(self, *pa: Any, **kwa: Any) -> Dog:
        """Make the instance look like a generator function to schedulers."""
        return self.do(*pa, **kwa)

    @property
    def tock(self) -> float:
        """Desired tyme between runs; 0.0 means every pass."""
        return self._tock

    @tock.setter
    def tock(self, tock: float) -> None:
        self._tock = abs(float(tock))

    def do(
        self, tymth: Tymth | None, *, tock: float = 0.0, temp: bool | None = None, **opts: Any
    ) -> Generator[Any, Any, bool | None]:
        """Generator running the lifecycle hooks; returns the done state."""
        if not temp and self.temp:
            temp = True
        try:
            self.wind(tymth)
            self.tock = tock
            self.enter(temp=temp)
            if inspect.isgeneratorfunction(self.recur):
                self.done = yield from self.recur(tock=self.tock)  # type: ignore[call-arg]
            else:
                while not self.done:
                    tyme = yield self.tock
                    self.done = self.recur(tyme)
        except GeneratorExit:
            self.cease()
        except Exception as ex:
            self.abort(ex)
            raise
        else:
            self.clean()
        finally:
            self.exit()
        return self.done

    def enter(self, *, temp: bool | None = None) -> None:
        """Acquire resources (``temp``: use temporary ones). Runs when scheduled."""

    def recur(self, tyme: float | None) -> bool | None:
        """Do one run's work at ``tyme``; return True when finished."""
        return False

    def clean(self) -> None:
        """Tidy up after a normal finish only."""

    def exit(self) -> None:
        """Release resources; runs after every kind of ending."""

    def cease(self) -> None:
        """React to being closed early by the scheduler."""

    def abort(self, ex: Exception) -> None:
        """React to an exception raised while running (it is re-raised after)."""


class Doist(Tymist):
    """Root scheduler running doers as generators on its own tyme.

    ``enter`` starts every doer's dog, ``recur`` makes one pass (running each
    dog whose retyme has come, then ticking), ``exit`` closes what is left in
    reverse order so exits nest inside enters. ``do`` strings them together
    until every dog finishes or ``limit`` tyme has passed.

    Simulation hook: ``enter``, ``recur``, ``exit``, ``extend`` and ``remove``
    never read a clock; they use only ``self.tyme`` and :meth:`tick`. All
    wall-clock access is in :meth:`_pace`, which ``do`` calls once with
    ``start=True`` before the first pass and once after each pass. A
    simulation subclass can override ``_pace`` (or drive ``enter``/``recur``/
    ``exit`` from its own process) and set ``tyme`` from the simulator's clock,
    e.g. ``self.tyme = env.now`` before each ``recur``, or override ``tick``.
    """

    def __init__(
        self,
        *,
        name: str = "doist",
        real: bool = False,
        limit: float | None = None,
        doers: Iterable[Any] | None = None,
        temp: bool = False,
        tyme: float = 0.0,
        tock: float | None = None,
        **kwa: Any,
    ) -> None:
        super().__init__(tyme=tyme, tock=tock, **kwa)
        self.name = name
        self.real = bool(real)
        self.limit: float | None = abs(float(limit)) if limit is not None else None
        self.done: bool | None = None
        self.doers: list[Any] = list(doers) if doers is not None else []
        self.deeds: deque[Deed] = deque()
        self.temp = bool(temp)
        self._due: float | None = None  # wall-clock deadline of the current pass

    def __call__(self, *pa: Any, **kwa: Any) -> None:
        """Run :meth:`do`, so a Doist can be used like a function."""
        self.do(*pa, **kwa)

    def do(
        self,
        doers: Iterable[Any] | None = None,
        limit: float | None = None,
        tyme: float | None = None,
        *,
        temp: bool | None = None,
    ) -> None:
        """Run until every dog finishes (``done`` becomes True), ``limit`` tyme
        passes, or Ctrl-C; remaining dogs are always closed on the way out."""
        if not temp and self.temp:
            temp = True
        self.done = False
        if doers is not None:
            self.doers = list(doers)
            self.deeds = deque()
        if limit is not None:
            self.limit = abs(float(limit))
        if tyme is not None:
            self.tyme = tyme

        try:
            self.enter(temp=temp)
            tymer = Tymer(tymth=self.tymen(), duration=self.limit)
            self._pace(start=True)
            while True:
                try:
                    self.recur()
                    self._pace()
                    if not self.deeds:
                        self.done = True
                        break
                    if self.limit and tymer.expired:
                        break
                except KeyboardInterrupt:  # operator asked to stop: exit cleanly
                    break
        finally:
            self.exit()

    def _pace(self, *, start: bool = False) -> None:
        """Hold each pass to one ``tock`` of wall-clock time when ``real``.

        The only wall-clock reader in this module. Deadlines advance by whole
        tocks from the first one, so a slow pass is caught up rather than lost.
        """
        if not self.real:
            return
        if start or self._due is None:
            self._due = time.monotonic() + self.tock
            return
        while (remaining := self._due - time.monotonic()) > 0.0:
            time.sleep(remaining)
        self._due += self.tock

    def enter(self, doers: Iterable[Any] | None = None, *, temp: bool | None = None) -> deque[Deed]:
        """Start a dog for each doer (``self.doers`` into ``self.deeds`` by
        default) and run it to its first yield; those not already finished are
        queued to run on the next pass. Returns the deque filled."""
        if doers is None:
            doers, deeds = self.doers, self.deeds
        else:
            deeds = deque()
        for i, doer in enumerate(doers):
            if not callable(doer):
                raise TypeError(
                    f"Doist: doers[{i}]: expected a Doer or a generator function, found {doer!r}"
                )
            _set_done(doer, False)
            dtemp = temp if temp else (True if getattr(doer, "temp", None) else None)
            opts = getattr(doer, "opts", None) or {}
            dog = doer(tymth=self.tymen(), tock=doer.tock, temp=dtemp, **opts)
            try:
                dog.send(None)  # enter context; the first yielded tock is ignored
            except StopIteration as ex:  # finished already in enter
                _set_done(doer, ex.value)
                continue
            deeds.append(Deed(dog, self.tyme, doer))
        return deeds

    def recur(self, deeds: deque[Deed] | None = None) -> None:
        """Make one pass: run each dog whose retyme has come, reschedule it by
        the tock it yields, then tick. Reads no clock, only ``self.tyme``."""
        if deeds is None:
            deeds = self.deeds
        deeds.append(_MARK)
        due = self.tyme + self._slack
        while deeds:
            deed = deeds.popleft()
            dog, retyme, doer = deed
            if dog is None:  # back at the mark: pass complete
                break
            assert retyme is not None
            if retyme > due or not self._ready(doer):
                deeds.append(deed)  # not due: keep it as it is
                continue
            try:
                tock = dog.send(self.tyme)
            except StopIteration as ex:
                _set_done(doer, ex.value)
                continue
            if not tock:
                retyme = self.tyme + self.tock  # next pass
            else:
                retyme += tock  # cumulative, so periodic doers do not drift
            deeds.append(Deed(dog, retyme, doer))
        self.tick()

    # Tolerance when comparing a deed's retyme with tyme. Zero here: tyme grows
    # by the same float additions that compute retymes. A simulator that jumps
    # tyme to grid points (k * tock) needs a little (SimDoist).
    _slack = 0.0

    def _ready(self, doer: Any) -> bool:
        """Whether a due doer has anything to do this pass. Always, here: a
        simulation subclass may skip doers it knows to be idle (SimDoist)."""
        return True

    def exit(self, deeds: deque[Deed] | None = None) -> None:
        """Close the remaining dogs newest first, so resources acquired in
        nested order are released in reverse order. Every dog is closed even
        when one's exit raises (the first exception is raised after), so none
        is left to the garbage collector to close and report."""
        if deeds is None:
            deeds = self.deeds
        first: Exception | None = None
        while deeds:
            dog, _, doer = deeds.pop()
            if dog is None:
                continue
            try:
                # close() returns the generator's value only on Python 3.13+
                _set_done(doer, dog.close())  # type: ignore[func-returns-value]
            except Exception as ex:
                first = first or ex
        if first is not None:
            raise first

    def extend(self, doers: Iterable[Any]) -> None:
        """Add and enter doers while running; they first run on the next pass."""
        fresh = [doer for doer in doers if doer not in self.doers]
        deeds = self.enter(doers=fresh)
        self.doers.extend(fresh)
        self.deeds.extend(deeds)

    def remove(self, doers: Iterable[Any]) -> None:
        """Drop doers while running, closing their dogs; the deque is edited in
        place so a pass in progress keeps its mark."""
        gone = [doer for doer in doers if doer in self.doers]
        closing: deque[Deed] = deque()
        for _ in range(len(self.deeds)):
            deed = self.deeds.popleft()
            if deed.dog is not None and deed.doer in gone:
                closing.append(deed)
            else:
                self.deeds.append(deed)
        for doer in gone:
            self.doers.remove(doer)
        self.exit(deeds=closing)
