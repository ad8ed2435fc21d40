"""Per-frame cost of Retargeter.apply, measured on varied deterministic FaceStates (so discrete mode switches)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from bridge.schema import FER8, NUM_BLENDSHAPES, EyeState, FaceState
from retarget.engine import Retargeter
from retarget.spec import Preset


@dataclass(frozen=True)
class BenchResult:
    preset: str
    targets: int
    frames: int
    best_us: float  # fastest batch: the cost without other processes competing for the CPU
    median_us: float
    p90_us: float


def sample_faces(count: int, seed: int = 0) -> list[FaceState]:
    """Deterministic varied faces at 90 Hz: random shapes, gaze, openness and emotion distributions."""
    rng = np.random.default_rng(seed)
    shapes = rng.random((count, NUM_BLENDSHAPES), dtype=np.float32)
    emotions = rng.dirichlet(np.full(len(FER8), 0.5), size=count).astype(np.float32)
    gaze = rng.uniform(-35.0, 35.0, size=(count, 4))
    faces = []
    for i in range(count):
        faces.append(FaceState(
            timestamp=i / 90.0, sequence=i, blendshapes=shapes[i], emotion8=emotions[i],
            emotion_label=FER8[int(np.argmax(emotions[i]))],
            left_eye=EyeState(gaze[i, 0], gaze[i, 1], float(1.0 - shapes[i, 0])),
            right_eye=EyeState(gaze[i, 2], gaze[i, 3], float(1.0 - shapes[i, 7])),
        ))  # fmt: skip
    return faces


def benchmark(preset: Preset, frames: int = 20000, repeats: int = 7) -> BenchResult:
    """Best, median and 90th-percentile microseconds per apply() over ``repeats`` timed batches of ``frames`` frames."""
    faces = sample_faces(min(frames, 1000))
    rt = Retargeter(preset)
    for fs in faces:  # warm-up: caches, first-frame state
        rt.apply(fs)
    per_frame = []
    n = len(faces)
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(frames):
            rt.apply(faces[i % n])
        per_frame.append((time.perf_counter() - t0) / frames * 1e6)
    return BenchResult(preset.name, len(rt.names), frames, float(np.min(per_frame)), float(np.median(per_frame)),
                       float(np.percentile(per_frame, 90)))
