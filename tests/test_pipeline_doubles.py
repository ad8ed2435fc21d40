"""(No tests here.) Test doubles for the pipeline tests: a scripted frame-set source and a model set that reads
the ground truth from FrameSet.labels. TEST-ONLY: the runtime always loads a real model set."""

from __future__ import annotations

import threading
import time

import numpy as np

from bridge.frames import FrameSet
from bridge.inference.types import ModelInputs, ModelOutputs
from bridge.schema import AU10, BLENDSHAPE_INDEX, EMOTIVE5, FER8, NUM_BLENDSHAPES
from bridge.sources.base import FrameCounters, Pacer, SingleStreamStats

JAW = BLENDSHAPE_INDEX["jawOpen"]


def jaw_curve(i: int) -> float:
    """The scripted jawOpen of frame i: a slow triangle wave 0..1 (period 40 frames)."""
    phase = (i % 40) / 20.0
    return phase if phase <= 1.0 else 2.0 - phase


class ScriptedSource(SingleStreamStats):
    """Frame sets with textured noise images (never frozen) and labels {"blendshapes": (52,)}.

    ``count`` frames then finished (None = endless); ``fps`` paces reads (0 = as fast as read). Capture times
    advance by 1/``clock_fps`` from now whatever the pacing, so the tracker's time-based ramps behave as at that
    rate. ``close()`` from any thread makes further reads return None, like an unplugged camera.
    """

    name = "scripted"

    def __init__(self, count: int | None = 60, fps: float = 0.0, size: int = 48, seed: int = 0,
                 clock_fps: float = 60.0) -> None:
        self.count, self.fps, self.size = count, fps, size
        self._t0 = time.time()
        self._dt = 1.0 / clock_fps
        self.rng = np.random.default_rng(seed)
        self.counters = FrameCounters()
        self._i = 0
        self._closed = threading.Event()
        self._pacer = Pacer(fps)

    def start(self) -> None:
        self.counters.connected = True

    def read(self, timeout: float = 0.5) -> FrameSet | None:
        if self._closed.is_set():
            return None
        if self.count is not None and self._i >= self.count:
            self.counters.finished = True
            return None
        if not self._pacer.wait(self._closed, timeout):
            return None
        i = self._i
        self._i += 1
        shapes = np.zeros(NUM_BLENDSHAPES, np.float32)
        shapes[JAW] = jaw_curve(i)
        images = {v: self.rng.integers(60, 200, (self.size, self.size), dtype=np.uint8)
                  for v in ("left_eye", "right_eye", "mouth")}
        t = self._t0 + i * self._dt if not self.fps else time.time()
        self.counters.frame(t, i)
        return FrameSet(images=images, capture_time=t, sequence=i, labels={"blendshapes": shapes})

    def close(self) -> None:
        self._closed.set()
        self.counters.connected = False


class LabelModels:
    """FaceModels double: outputs = the frame's ground-truth labels (zeros when a frame has none)."""

    def __init__(self) -> None:
        self.calls = 0
        self._labels: dict = {}
        self._views: tuple[str, ...] = ()

    def preprocess(self, frames: FrameSet) -> ModelInputs:
        self._labels = frames.labels
        self._views = tuple(frames.images)
        return ModelInputs(images={v: img[::2, ::2].astype(np.float32) / 255.0 for v, img in frames.images.items()})

    def predict(self, inputs: ModelInputs, neutral=None) -> ModelOutputs:
        self.calls += 1
        shapes = np.asarray(self._labels.get("blendshapes", np.zeros(NUM_BLENDSHAPES)), np.float32)
        e8 = np.full(len(FER8), 0.02, np.float32)
        e8[FER8.index("happiness")] = 1.0 - 0.02 * (len(FER8) - 1)
        return ModelOutputs(
            blendshapes=shapes, gaze=np.zeros((2, 2), np.float32), openness=np.ones(2, np.float32),
            emotive5=np.full(len(EMOTIVE5), 1 / len(EMOTIVE5), np.float32), au10=np.zeros(len(AU10), np.float32),
            valence=0.5, arousal=0.1, emotion8=e8,
            confidence={view: 0.9 for view in self._views},
            personalized=neutral is not None,
        )


class UnplugMidRun:
    """``Pipeline.run`` on_step callback: "unplugs" the source (``close()`` from another thread, as a yanked cable
    does) once ``frames_before`` frame sets went through, then stops the run after ``idle_after`` further steps
    without frames. Waiting on these counts instead of wall-clock timers keeps the tests sound on a loaded CI box.
    """

    def __init__(self, pipeline, source, frames_before: int = 10, idle_after: int = 10) -> None:
        self.pipeline, self.source = pipeline, source
        self.frames_before, self.idle_after = frames_before, idle_after
        self.closer: threading.Thread | None = None
        self._idle_at_unplug = 0

    def __call__(self, result) -> None:
        if self.closer is None:
            if self.pipeline.frames >= self.frames_before:
                self._idle_at_unplug = self.pipeline.idle_steps
                self.closer = threading.Thread(target=self.source.close, name="unplug")
                self.closer.start()
        elif self.pipeline.idle_steps - self._idle_at_unplug >= self.idle_after:
            self.pipeline.stop()
