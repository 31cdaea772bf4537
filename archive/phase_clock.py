"""Wall and CPU time per phase of a build, for its progress lines and the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

# Per phase of a build: (wall seconds, CPU seconds).
Phases = dict[str, tuple[float, float]]


@contextmanager
def timed(phases: Phases, name: str) -> Iterator[None]:
    """Add the block's wall time and this process's CPU time (all threads) to ``phases[name]``."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        before = phases.get(name, (0.0, 0.0))
        phases[name] = (
            before[0] + time.perf_counter() - wall,
            before[1] + time.process_time() - cpu,
        )


class PhaseClock:
    """Times consecutive phases: ``switch(name)`` ends the current phase and starts ``name``."""

    def __init__(self, phases: Phases) -> None:
        self.phases = phases
        self.current: str | None = None
        self.wall = self.cpu = 0.0

    def switch(self, name: str | None) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        if self.current is not None:
            before = self.phases.get(self.current, (0.0, 0.0))
            self.phases[self.current] = (before[0] + wall - self.wall, before[1] + cpu - self.cpu)
        self.current, self.wall, self.cpu = name, wall, cpu
