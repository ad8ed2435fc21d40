"""Send each frame to every sink; a sink that raises is counted and logged, and the others carry on."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bridge.outputs.base import OutputFrame, OutputSink

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SinkHealth:
    """Per-sink failure bookkeeping."""

    frames: int = 0
    errors: int = 0
    last_error: str = ""


class SinkFanout:
    """Owns the sinks. ``send`` calls each in turn and returns per-sink send durations (seconds).

    Exceptions are logged once per (sink, exception type) with the traceback, then only counted: a sink
    that fails on every frame must not flood the terminal, and must never stop the other sinks.
    """

    def __init__(self, sinks: list[OutputSink]) -> None:
        self.sinks = list(sinks)
        self.health = {sink.name: SinkHealth() for sink in self.sinks}
        self._logged: set[tuple[str, type]] = set()

    def send(self, frame: OutputFrame) -> dict[str, float]:
        durations: dict[str, float] = {}
        for sink in self.sinks:
            health = self.health[sink.name]
            start = time.perf_counter()
            try:
                sink.send(frame)
                health.frames += 1
            except Exception as exc:  # isolation is the point: any sink bug stays inside that sink
                health.errors += 1
                health.last_error = f"{type(exc).__name__}: {exc}"
                key = (sink.name, type(exc))
                if key not in self._logged:
                    self._logged.add(key)
                    log.exception("output %s failed (further %s errors are only counted)", sink.name,
                                  type(exc).__name__)
            durations[sink.name] = time.perf_counter() - start
        return durations

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:
                log.exception("output %s failed to close", sink.name)
