"""The synthetic headset (bridge.synth.source.SyntheticSource) as a FrameSetSource.

In real time the headset renders in its own capture thread, like a camera, with newest-frame-wins hand-off: the
pipeline's ``read`` never waits longer than its timeout and rendering overlaps with inference. With
``realtime=False`` (every frame, as fast as possible: datasets, tests) ``read`` renders the next frame itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.frames import FrameSet
from bridge.sources.base import FrameCounters, SingleStreamStats, SourceError

if TYPE_CHECKING:
    from bridge.synth.source import SyntheticSource

OPTION_TYPES: dict[str, Callable[[str], object]] = {
    "fps": float, "seed": int, "realtime": lambda v: v.lower() in ("1", "true", "yes", "on")}


def parse_synthetic_options(options: dict[str, str], spec: str) -> dict[str, object]:
    """``synthetic:fps=60,seed=3,realtime=0`` options -> SyntheticSource keyword arguments."""
    out: dict[str, object] = {}
    for key, value in options.items():
        convert = OPTION_TYPES.get(key)
        if convert is None:
            raise SourceError(f"source {spec!r}: unknown synthetic option {key!r}; allowed: {sorted(OPTION_TYPES)}")
        try:
            out[key] = convert(value)
        except ValueError:
            raise SourceError(f"source {spec!r}: option {key}={value!r} is not a valid {key}") from None
    return out


class SyntheticFrameSetSource(SingleStreamStats):
    """Rendered headset frames with exact labels (``FrameSet.labels``) behind start/read/stats/close."""

    name = "synthetic"

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._realtime = bool(options.get("realtime", True))
        self._inner: SyntheticSource | None = None
        self.counters = FrameCounters()
        self._cond = threading.Condition()
        self._latest: FrameSet | None = None  # newest rendered set not yet read
        self._stop = threading.Event()  # set once by close(): ends the render thread and every read
        self._thread: threading.Thread | None = None
        self._last_sequence: int | None = None

    def start(self) -> None:
        if self._inner is not None:
            return
        from bridge.synth.source import SyntheticSource

        try:
            self._inner = SyntheticSource(**self._options)
        except (TypeError, ValueError) as exc:
            raise SourceError(f"synthetic source: bad option ({exc}); allowed: fps, seed, sizes, realtime") from exc
        self.counters.connected = True
        if self._realtime:
            self._thread = threading.Thread(target=self._run, name="capture-synthetic", daemon=True)
            self._thread.start()

    def _count(self, frames: FrameSet) -> None:
        # The headset skips frames its reader missed (the sequence jumps): those are drops.
        if self._last_sequence is not None and frames.sequence > self._last_sequence + 1:
            self.counters.drop(frames.sequence - self._last_sequence - 1)
        self._last_sequence = frames.sequence
        self.counters.frame(frames.capture_time, frames.sequence)

    def _run(self) -> None:
        inner = self._inner
        assert inner is not None  # started by start() after the source exists
        while not self._stop.is_set():
            try:
                frames = inner.read(0.2)
            except Exception as exc:  # noqa: BLE001 - a renderer bug must not kill the bridge
                self.counters.error(f"render failed: {exc}")
                self._stop.wait(0.5)
                continue
            if frames is None:
                continue
            self._count(frames)
            with self._cond:
                if self._latest is not None:
                    self.counters.drop()  # rendered but never read: newest wins
                self._latest = frames
                self._cond.notify_all()

    def read(self, timeout: float = 0.5) -> FrameSet | None:
        """The newest rendered set (real time) or the next one (realtime=False); None after ``timeout``."""
        if self._inner is None:
            raise SourceError("read() before start(): call start() first")
        if self._stop.is_set():
            return None
        if not self._realtime:
            frames = self._inner.read(timeout)
            if frames is not None:
                self._count(frames)
            return frames
        with self._cond:
            if not self._cond.wait_for(lambda: self._latest is not None or self._stop.is_set(), max(0.0, timeout)):
                return None
            frames, self._latest = self._latest, None
            return frames

    def close(self) -> None:
        """Stop the render thread and the headset. Idempotent."""
        with self._cond:
            if self._stop.is_set():
                return
            self._stop.set()
            self._cond.notify_all()  # wake a read() waiting for a frame
        if self._thread is not None:
            self._thread.join(5.0)
        self.counters.connected = False
        if self._inner is not None:
            self._inner.close()
