"""A frame-set source over frame sets rendered in advance, for benchmarking the pipeline without the renderer.

The synthetic renderer costs tens of milliseconds per frame set on a small machine, far more than the bridge
itself, so the bench renders a pool first and then serves it in a loop, restamped with fresh capture times and
sequence numbers (frozen-camera detection sees no repeats as long as the pool has more than a couple of frames).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from bridge.frames import FrameSet
from bridge.sources.base import FrameCounters, Pacer, SingleStreamStats


def render_pool(count: int, seed: int = 0) -> tuple[list[FrameSet], float]:
    """``count`` synthetic frame sets and the mean render time per set (seconds)."""
    from bridge.synth.source import SyntheticSource

    source = SyntheticSource(fps=60.0, seed=seed, realtime=False)
    start = time.perf_counter()
    pool: list[FrameSet] = []
    while len(pool) < count:
        frames = source.read(1.0)
        if frames is not None:
            pool.append(frames)
    elapsed = time.perf_counter() - start
    source.close()
    return pool, elapsed / max(1, count)


class PoolSource(SingleStreamStats):
    """Serves a pool of frame sets forever: as fast as read (``fps=None``) or paced at ``fps``."""

    name = "synthetic-pool"

    def __init__(self, pool: list[FrameSet], fps: float | None = None) -> None:
        if not pool:
            raise ValueError("PoolSource needs at least one frame set")
        self.pool, self.fps = pool, fps
        self.counters = FrameCounters()
        self._i = 0
        self._pacer = Pacer(fps)
        self._closed = threading.Event()

    def start(self) -> None:
        self.counters.connected = True

    def read(self, timeout: float = 0.5) -> FrameSet | None:
        if not self._pacer.wait(self._closed, timeout):
            return None
        frames = self.pool[self._i % len(self.pool)]
        t = time.time()
        out = replace(frames, capture_time=t, sequence=self._i)
        self._i += 1
        self.counters.frame(t, self._i)
        return out

    def close(self) -> None:
        self._closed.set()
        self.counters.connected = False
