"""Fixtures for the interop tests: hio 0.7.20 in its own venv, driven over UDP.

hio runs in a separate interpreter (``tests/interop/hiovenv.py`` creates it at
``<repo>/.venv-hio`` on first use, ~15 s) through ``hio_driver.py``. memosim
runs in-process. All traffic is UDP on 127.0.0.1 with OS-chosen ports, every
loop is bounded and every subprocess has a timeout.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .hiovenv import HioVenvError, ensure_hio_venv
from .keymat import KeyMat, make_keys

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "hio_driver.py"

LINE_TIMEOUT = 15.0  # seconds to wait for one line (the first waits for hio's import)
PROC_TIMEOUT = 30.0  # seconds any driver process may live


class DriverError(AssertionError):
    """The hio driver did not behave (harness problem, or hio raised)."""


class LineProc:
    """A driver subprocess whose stdout JSON lines are read by a thread."""

    def __init__(self, argv: list[str], stdin_text: str | None = None) -> None:
        self.argv = argv
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.started = time.monotonic()
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        self._stderr: list[str] = []
        self._out = threading.Thread(target=self._pump_out, daemon=True)
        self._err = threading.Thread(target=self._pump_err, daemon=True)
        self._out.start()
        self._err.start()
        if stdin_text is not None:
            try:
                self.proc.stdin.write(stdin_text)
                self.proc.stdin.close()
            except BrokenPipeError:
                pass

    def _pump_out(self) -> None:
        for raw in self.proc.stdout:
            raw = raw.strip()
            if not raw:
                continue
            try:
                self.lines.put(json.loads(raw))
            except ValueError:
                self.lines.put({"unparsed": raw})
        self.lines.put(None)  # EOF

    def _pump_err(self) -> None:
        for raw in self.proc.stderr:
            self._stderr.append(raw)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)[-4000:]

    def describe(self) -> str:
        return (
            f"driver {' '.join(self.argv[1:3])} rc={self.proc.returncode}\n"
            f"stdout lines: {json.dumps(self.seen)[:3000]}\nstderr: {self.stderr}"
        )

    def next_line(self, timeout: float = LINE_TIMEOUT) -> dict | None:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty as ex:
            self.kill()
            raise DriverError(f"no output within {timeout} s\n{self.describe()}") from ex
        if line is not None:
            self.seen.append(line)
        return line

    def expect_ha(self) -> tuple[str, int]:
        line = self.next_line()
        if not line or "ha" not in line:
            self.kill()
            raise DriverError(f"expected an 'ha' line, got {line!r}\n{self.describe()}")
        return (line["ha"][0], int(line["ha"][1]))

    def finish(self, timeout: float = PROC_TIMEOUT) -> list[dict]:
        """Wait for exit; return every line after those already taken."""
        rest: list[dict] = []
        deadline = self.started + timeout
        while True:
            line = self.next_line(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                break
            rest.append(line)
        try:
            self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired as ex:
            self.kill()
            raise DriverError(f"driver did not exit\n{self.describe()}") from ex
        self._err.join(timeout=1.0)
        return rest

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


@dataclass
class RecvResult:
    ha: tuple[str, int]
    memos: list[tuple[str, tuple[str, int] | None, str | None]]
    done: dict
    errors: list[str]
    rc: int
    lines: list[dict] = field(default_factory=list)


@dataclass
class SendResult:
    ha: tuple[str, int]
    sent: dict | None
    errors: list[str]
    rc: int
    lines: list[dict] = field(default_factory=list)


class HioDriver:
    """Starts hio_driver.py modes with the hio venv's python."""

    def __init__(self, python: Path) -> None:
        self.python = Path(python)
        self.procs: list[LineProc] = []

    def _start(self, args: list[str], stdin_text: str | None = None) -> LineProc:
        lp = LineProc([str(self.python), str(DRIVER), *args], stdin_text)
        self.procs.append(lp)
        return lp

    def info(self, seeds: list[bytes]) -> list[dict]:
        args = ["info"]
        for s in seeds:
            args += ["--seed", s.hex()]
        lp = self._start(args)
        lines = lp.finish()
        if lp.proc.returncode != 0:
            raise DriverError(lp.describe())
        return lines

    def rend(self, cases: list[dict]) -> list[dict]:
        """hio's rend for each case; grams come back as bytes."""
        import base64

        lp = self._start(["rend", "--cases", "-"], stdin_text=json.dumps(cases))
        lines = lp.finish()
        if lp.proc.returncode != 0 or len(lines) != len(cases):
            raise DriverError(lp.describe())
        for line in lines:
            if "grams" in line:
                line["grams"] = [base64.urlsafe_b64decode(g) for g in line["grams"]]
        return lines

    def start_recv(
        self,
        count: int,
        *,
        timeout: float = 10.0,
        authic: bool = False,
        keep: dict | None = None,
        dump: bool = False,
    ) -> tuple[LineProc, tuple[str, int]]:
        args = [
            "recv",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--count",
            str(count),
            "--timeout",
            str(timeout),
        ]
        if authic:
            args.append("--authic")
        if keep:
            args += ["--keep", json.dumps(keep)]
        if dump:
            args.append("--dump")
        lp = self._start(args)
        return lp, lp.expect_ha()

    def finish_recv(self, lp: LineProc, ha: tuple[str, int]) -> RecvResult:
        lines = lp.finish()
        memos, errors, done = [], [], {}
        for line in lines:
            if "memo" in line:
                src = tuple(line["src"]) if line["src"] is not None else None
                memos.append((line["memo"], src, line["vid"]))
            elif "error" in line:
                errors.append(line["error"])
            elif "done" in line:
                done = line
        return RecvResult(ha, memos, done, errors, lp.proc.returncode, lp.seen)

    def start_send(
        self,
        dst: tuple[str, int],
        items: list,
        *,
        code: str = "bAAA",
        curt: bool = False,
        size: int | None = None,
        vid: str | None = None,
        keep: dict | None = None,
        timeout: float = 10.0,
        dump: bool = False,
    ) -> tuple[LineProc, tuple[str, int]]:
        args = [
            "send",
            "--dst",
            f"{dst[0]}:{dst[1]}",
            "--memos",
            "-",
            "--code",
            code,
            "--curt",
            "1" if curt else "0",
            "--timeout",
            str(timeout),
        ]
        if size is not None:
            args += ["--size", str(size)]
        if vid:
            args += ["--vid", vid]
        if keep:
            args += ["--keep", json.dumps(keep)]
        if dump:
            args.append("--dump")
        lp = self._start(args, stdin_text=json.dumps(items))
        return lp, lp.expect_ha()

    def finish_send(self, lp: LineProc, ha: tuple[str, int]) -> SendResult:
        lines = lp.finish()
        sent = next((ln for ln in lines if "sent" in ln), None)
        errors = [ln["error"] for ln in lines if "error" in ln]
        return SendResult(ha, sent, errors, lp.proc.returncode, lp.seen)

    def close(self) -> None:
        for lp in self.procs:
            lp.kill()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def hio_python() -> Path:
    """The hio venv's python; creates the venv on first use (~15 s)."""
    try:
        return ensure_hio_venv(quiet=False)
    except HioVenvError as ex:
        if os.environ.get("MEMOSIM_INTEROP_OPTIONAL"):
            pytest.skip(f"hio venv unavailable: {ex}")
        pytest.fail(f"cannot set up the hio 0.7.20 venv: {ex}", pytrace=False)


@pytest.fixture(scope="session")
def hio(hio_python):
    driver = HioDriver(hio_python)
    yield driver
    driver.close()


@pytest.fixture(scope="session")
def alice() -> KeyMat:
    """Signer with a non-transferable 'B' vid (verkey is the vid)."""
    return make_keys("alice", code="B")


@pytest.fixture(scope="session")
def dave() -> KeyMat:
    """Signer with a 'D' vid: receivers must find its verkey in their keep."""
    return make_keys("dave", code="D")


@pytest.fixture(scope="session")
def hio_info(hio, alice, dave) -> dict:
    lines = hio.info([alice.seed, dave.seed])
    return {"version": lines[0], "keys": lines[1:]}


@pytest.fixture(scope="session")
def memosim_api():
    """memosim's PeerMemoer and Keyage (imported lazily so that the hio-only
    harness tests still run while memosim is incomplete)."""
    try:
        from memosim import PeerMemoer
        from memosim.core.keys import Keyage
    except Exception as ex:  # pragma: no cover - depends on the lead's progress
        pytest.fail(f"memosim API not importable: {type(ex).__name__}: {ex}", pytrace=False)
    return PeerMemoer, Keyage
