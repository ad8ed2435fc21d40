"""Per-stage latency bookkeeping: fixed-size ring buffers of durations, percentiles on demand."""

from __future__ import annotations

import numpy as np


class LatencyRing:
    """The last ``size`` durations (seconds) of one stage; appends are O(1) and allocation-free."""

    def __init__(self, size: int = 4096) -> None:
        self._data = np.zeros(size, dtype=np.float64)
        self._n = 0

    def add(self, seconds: float) -> None:
        self._data[self._n % self._data.shape[0]] = seconds
        self._n += 1

    def reset(self) -> None:
        """Forget every recorded duration (e.g. after a warm-up)."""
        self._n = 0

    def values(self) -> np.ndarray:
        return self._data[: min(self._n, self._data.shape[0])]

    def percentiles_ms(self, qs: tuple[float, ...] = (50.0, 99.0)) -> tuple[float, ...]:
        """Percentiles in milliseconds (NaN when nothing was recorded)."""
        vals = self.values()
        if vals.size == 0:
            return tuple(float("nan") for _ in qs)
        return tuple(float(v) * 1000.0 for v in np.percentile(vals, qs))


class StageTimes:
    """Named LatencyRings, created on first use, in first-use order (the pipeline's stage order)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self.rings: dict[str, LatencyRing] = {}

    def add(self, stage: str, seconds: float) -> None:
        ring = self.rings.get(stage)
        if ring is None:
            ring = self.rings[stage] = LatencyRing(self._size)
        ring.add(seconds)

    def summary_ms(self) -> dict[str, dict[str, float]]:
        """{stage: {"p50": ms, "p99": ms}}."""
        out = {}
        for stage, ring in self.rings.items():
            p50, p99 = ring.percentiles_ms()
            out[stage] = {"p50": p50, "p99": p99}
        return out

    def reset(self) -> None:
        self.rings.clear()
