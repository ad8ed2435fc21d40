"""SyntheticSource: the synthetic headset as a live camera source (the default source of `facebridge run`).

Plays an endless free performance of one synthetic identity at ``fps``; ``read()`` returns the newest frame
set (realtime: paced by the wall clock, late readers skip frames; otherwise: every frame, as fast as possible)
with the frame's ground truth in ``FrameSet.labels``.
"""

from __future__ import annotations

import time

import numpy as np

from bridge.frames import FrameSet
from bridge.synth.identity import sample_identity, sample_session
from bridge.synth.performance import Performance, free_performance
from bridge.synth.renderer import DEVICE_SIZES, HeadsetRenderer, validate_sizes

PERFORMANCE_SECONDS = 120.0  # length of one performance segment before a new one is generated
# Device-size frames are drawn on a half-resolution canvas and upsampled by the slip warp (real 240x240
# ESP32/OV2640 JPEG frames are soft anyway); keeps 60 Hz well under half a core.
LIVE_RENDER_SCALE = 0.5


class SyntheticSource:
    """A live synthetic headset. Not thread-safe: call ``read`` from one thread."""

    def __init__(self, fps: float = 60.0, seed: int = 0, sizes: dict[str, tuple[int, int]] | None = None,
                 realtime: bool = True, performance_seconds: float = PERFORMANCE_SECONDS,
                 render_scale: float = LIVE_RENDER_SCALE) -> None:
        if not (isinstance(fps, int | float) and 1.0 <= fps <= 1000.0):
            raise ValueError(f"SyntheticSource: fps must be in 1..1000, got {fps!r}")
        self.fps = float(fps)
        self.realtime = bool(realtime)
        self.sizes = validate_sizes(dict(DEVICE_SIZES) if sizes is None else sizes)
        self._rng = np.random.default_rng([int(seed), 99])
        self.identity = sample_identity(self._rng)
        self.session = sample_session(self._rng, self.identity)
        self._renderer = HeadsetRenderer(self.sizes, render_scale=render_scale)
        self._perf_seconds = float(performance_seconds)
        self._perf: Performance = self._new_performance()
        self._perf_start = 0  # absolute frame index where the current performance begins
        self._next = 0  # absolute index of the next frame to hand out
        self._t0: float | None = None
        self._closed = False

    def _new_performance(self) -> Performance:
        return free_performance(self._rng, seconds=self._perf_seconds, fps=self.fps)

    @property
    def closed(self) -> bool:
        """True after ``close``."""
        return self._closed

    def read(self, timeout: float = 1.0) -> FrameSet | None:
        """The newest frame set, or None when none is due within ``timeout`` seconds or the source is closed."""
        if self._closed:
            return None
        if self.realtime:
            now = time.time()
            if self._t0 is None:
                self._t0 = now
            due_time = self._t0 + self._next / self.fps
            if due_time > now:
                if due_time - now > timeout:
                    time.sleep(max(timeout, 0.0))
                    return None
                time.sleep(due_time - now)
                now = time.time()
            # Newest frame: skip the ones a slow reader missed.
            index = max(self._next, int((now - self._t0) * self.fps))
            capture = self._t0 + index / self.fps
        else:
            index = self._next
            capture = time.time()
        self._next = index + 1
        return self._render(index, capture)

    def _render(self, index: int, capture_time: float) -> FrameSet:
        while index - self._perf_start >= len(self._perf):
            self._perf_start += len(self._perf)
            self._perf = self._new_performance()
        i = index - self._perf_start
        p = self._perf
        images = self._renderer.render_batch(self.identity, self.session, p.blendshapes[i : i + 1],
                                             p.gaze[i : i + 1], self._rng)
        labels = {
            "blendshapes": p.blendshapes[i].copy(), "gaze": p.gaze[i].copy(), "openness": p.openness[i].copy(),
            "fer8": int(p.fer8[i]), "emotive5": int(p.emotive5[i]), "au10": p.au10[i].copy(),
            "valence": float(p.valence[i]), "arousal": float(p.arousal[i]), "expression": int(p.expression[i]),
            "peak": bool(p.peak[i]),
        }
        return FrameSet(images={v: img[0] for v, img in images.items()}, capture_time=capture_time, sequence=index,
                        labels=labels)

    def close(self) -> None:
        """Stop the source; later reads return None."""
        self._closed = True

    def __enter__(self) -> SyntheticSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
