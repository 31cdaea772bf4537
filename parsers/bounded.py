"""Parsing under a time and memory limit, in worker processes.

A hostile or broken document (a zip bomb, a PDF whose content stream never
ends, a table that expands to billions of cells) must cost one failed document,
never the build. ``BoundedWorkers`` runs a function over many inputs in child
processes, each started with ``resource.setrlimit`` caps (address space, CPU
seconds) and watched by the parent against a wall-clock limit. A child that runs
out of time is killed and replaced; one that runs out of memory (``MemoryError``
or killed by the kernel) is replaced too. Either way the input's outcome is a
``LimitExceeded`` naming the reason, and the next input goes on.

``parse_bounded(data, meta)`` parses one document that way and returns the
``Report`` (or raises ``LimitExceeded``, or the parser's own ``ParseError``).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import resource
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from parsers.errors import ParseError

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Limits:
    """What one document may cost: wall-clock seconds and address space in bytes."""

    seconds: float = 120.0
    memory_bytes: int = 3 * 1024 * 1024 * 1024


DEFAULT_LIMITS = Limits()
STARTUP_SECONDS = 120.0


class LimitExceeded(ParseError):
    """The document needed more time or memory than its limit; the message says which."""


class ParseTimeout(LimitExceeded):
    """Parsing ran past the wall-clock limit and the worker was killed."""


class ParseOutOfMemory(LimitExceeded):
    """Parsing needed more memory than the address-space limit."""


class WorkerCrashed(LimitExceeded):
    """The worker process died while parsing (a signal, a native crash)."""


class WorkerError(Exception):
    """An exception raised in the worker that could not be sent back as itself."""


def _apply_limits(limits: Limits) -> None:
    """In the child: cap address space and CPU time (a backstop to the parent's clock)."""
    if limits.memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    if limits.seconds:
        cpu = int(limits.seconds) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def _serve(
    conn: multiprocessing.connection.Connection, fn: Callable[[Any], Any], limits: Limits
) -> None:
    """The child's loop: receive an input, send back ("ok", result) or ("error", exception)."""
    _apply_limits(limits)
    conn.send(("ready", None))  # the clock starts now, not while the child was starting
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome: tuple[str, Any] = ("ok", fn(item))
        except MemoryError:
            outcome = ("memory", None)
        except Exception as exc:  # sent back to the caller as the input's outcome
            outcome = ("error", exc)
        try:
            conn.send(outcome)
        except MemoryError:
            conn.send(("memory", None))
        except Exception:  # an unpicklable exception or result
            detail = traceback.format_exc(limit=3)
            conn.send(("error", WorkerError(f"{outcome[0]} not picklable: {detail}")))


class _Worker:
    def __init__(self, ctx: Any, fn: Callable[[Any], Any], limits: Limits) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, fn, limits), daemon=True)
        self.process.start()
        child.close()
        self.item: Any = None
        self.ready = False
        self.started = time.monotonic()
        self.busy = False

    def send(self, item: Any) -> None:
        self.item, self.busy = item, True
        if self.ready:
            self.started = time.monotonic()
        self.conn.send(item)

    def deadline(self, limits: Limits) -> float:
        # A starting child (spawn, imports) gets a fixed allowance before its clock runs.
        return self.started + limits.seconds + (0 if self.ready else STARTUP_SECONDS)

    def stop(self) -> None:
        self.busy = False
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class BoundedWorkers:
    """``jobs`` child processes running ``fn`` (a module-level function) under ``limits``.

    ``map(items)`` yields ``(item, outcome)`` pairs as they finish (not in input
    order): ``outcome`` is ``fn(item)``'s result, or the exception it raised, or a
    ``LimitExceeded``. Use as a context manager so the children are always reaped.
    """

    def __init__(
        self, fn: Callable[[Any], Any], *, jobs: int = 1, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.fn, self.jobs, self.limits = fn, max(1, jobs), limits
        # spawn: a child never inherits the parent's threads, locks or open databases.
        self.ctx = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []

    def __enter__(self) -> BoundedWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers = []

    def _worker(self) -> _Worker:
        worker = _Worker(self.ctx, self.fn, self.limits)
        self.workers.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self.workers.remove(worker)

    def map(self, items: Iterable[T]) -> Iterator[tuple[T, Any]]:
        pending = iter(items)
        exhausted = False
        while True:
            idle = [w for w in self.workers if not w.busy]
            while not exhausted and (idle or len(self.workers) < self.jobs):
                try:
                    item = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                worker = idle.pop() if idle else self._worker()
                worker.send(item)
            busy = [w for w in self.workers if w.busy]
            if not busy:
                return
            now = time.monotonic()
            wait = max(0.0, min(w.deadline(self.limits) for w in busy) - now)
            sentinels = {w.process.sentinel: w for w in busy}
            ready = multiprocessing.connection.wait(
                [w.conn for w in busy] + list(sentinels), timeout=min(wait, 1.0) + 0.01
            )
            for worker in busy:
                if worker.conn in ready or worker.conn.poll():
                    try:
                        kind, value = worker.conn.recv()
                    except (EOFError, OSError):
                        yield worker.item, self._died(worker)
                        continue
                    if kind == "ready":
                        worker.ready, worker.started = True, time.monotonic()
                        continue
                    worker.busy = False
                    if kind == "memory":
                        yield worker.item, ParseOutOfMemory(self._memory_reason())
                        self._replace(worker)  # its heap may be fragmented past use
                    else:
                        yield worker.item, value
                elif worker.process.sentinel in ready or not worker.process.is_alive():
                    yield worker.item, self._died(worker)
                elif time.monotonic() > worker.deadline(self.limits):
                    item = worker.item
                    self._replace(worker)
                    yield (
                        item,
                        ParseTimeout(
                            f"parsing took longer than {self.limits.seconds:g} s; worker killed"
                        ),
                    )

    def _memory_reason(self) -> str:
        return f"parsing needed more than {self.limits.memory_bytes / 2**20:,.0f} MiB of memory"

    def _died(self, worker: _Worker) -> LimitExceeded:
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        self._replace(worker)
        if code is not None and code < 0:
            import signal

            name = signal.Signals(-code).name
            if name == "SIGKILL":  # the kernel's OOM killer
                return ParseOutOfMemory(f"{self._memory_reason()} (worker killed: {name})")
            if name == "SIGXCPU":
                return ParseTimeout(f"parsing used more CPU time than {self.limits.seconds:g} s")
            return WorkerCrashed(f"the parsing worker died of {name}")
        return WorkerCrashed(f"the parsing worker exited with code {code}")


def _parse_item(item: tuple[bytes, Any]) -> Any:
    from parsers import parse_document

    data, meta = item
    return parse_document(data, meta)


def parse_bounded(data: bytes, meta: Any = None, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse one document in a child process under ``limits``; returns the ``Report``.

    Raises ``LimitExceeded`` when the document needs more time or memory, and
    whatever the parser raised otherwise.
    """
    with BoundedWorkers(_parse_item, jobs=1, limits=limits) as workers:
        for _item, outcome in workers.map([(data, meta)]):
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
    raise WorkerCrashed("no result from the parsing worker")  # pragma: no cover
