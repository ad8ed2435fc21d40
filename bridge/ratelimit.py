"""Rate limits for everything a sender on the network (or a flood of bad frames) could otherwise multiply:
listener work per second, commands applied, and log lines."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up. Thread-safe."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        return self._tokens

    def take(self, n: float = 1.0) -> bool:
        """Spend ``n`` tokens if there are that many; False (nothing spent) otherwise."""
        with self._lock:
            if self._refill() >= n:
                self._tokens -= n
                return True
            return False

    def spend(self, n: float) -> None:
        """Spend ``n`` tokens even if that leaves a debt (work already done); ``wait_time`` then includes it."""
        with self._lock:
            self._refill()
            self._tokens -= n

    def wait_time(self, n: float = 1.0) -> float:
        """Seconds until ``n`` tokens will be there (0 when they are)."""
        with self._lock:
            missing = n - self._refill()
        return max(0.0, missing / self.rate) if self.rate > 0 else float("inf")


class LogLimiter:
    """At most ``per_window`` lines per key per ``window_s``; the rest are counted, and the next line that gets
    through says how many were suppressed. For messages a flood can trigger (commands, bad packets, bad frames)."""

    def __init__(self, logger: logging.Logger, per_window: int = 5, window_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.per_window = per_window
        self.window_s = window_s
        self._clock = clock
        self._windows: dict[str, tuple[float, int, int]] = {}  # key -> (window start, lines, suppressed)
        self._lock = threading.Lock()

    def log(self, level: int, key: str, msg: str, *args: object) -> bool:
        """Log ``msg % args`` at ``level`` unless ``key`` is over its budget. Returns whether it was logged."""
        now = self._clock()
        with self._lock:
            start, lines, suppressed = self._windows.get(key, (now, 0, 0))
            if now - start >= self.window_s:
                start, lines = now, 0
            if lines >= self.per_window:
                self._windows[key] = (start, lines, suppressed + 1)
                return False
            self._windows[key] = (start, lines + 1, 0)
            if len(self._windows) > 1024:  # keys come from a fixed set in practice; never let them pile up
                self._windows = {key: self._windows[key]}
        if suppressed:
            msg += f" ({suppressed} similar messages suppressed)"
        self.logger.log(level, msg, *args)
        return True
