"""FaceStates for the preview, from the synthetic headset's ground-truth labels (no models needed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.frames import FrameSet
from bridge.schema import FER8, EyeState, FaceState

EMOTION_SMOOTHING_S = 0.25  # time constant turning one-hot FER labels into tracker-like probabilities


@dataclass(frozen=True)
class FeedItem:
    """One preview step: the FaceState and the camera images it came from."""

    state: FaceState
    images: dict[str, np.ndarray]


def labels_to_face_state(labels: dict, timestamp: float, sequence: int, emotion8: np.ndarray) -> FaceState:
    """A FaceState from SyntheticSource ground truth. ``emotion8`` is the probability vector to report (the label
    is one class; the caller smooths it over time so continuous-mode presets behave as with a real tracker)."""
    try:
        gaze = np.asarray(labels["gaze"], dtype=np.float32).reshape(2, 2)
        openness = np.asarray(labels["openness"], dtype=np.float32).reshape(2)
        shapes = labels["blendshapes"]
    except KeyError as exc:
        raise ValueError(f"synthetic frame {sequence}: labels lack {exc.args[0]!r}; is this a SyntheticSource?") \
            from None
    label = FER8[int(np.argmax(emotion8))]
    return FaceState(
        timestamp=timestamp, sequence=sequence, blendshapes=shapes,
        left_eye=EyeState(float(gaze[0, 0]), float(gaze[0, 1]), float(openness[0])),
        right_eye=EyeState(float(gaze[1, 0]), float(gaze[1, 1]), float(openness[1])),
        emotion8=emotion8, emotion_label=label,
        valence=float(labels.get("valence", 0.0)), arousal=float(labels.get("arousal", 0.0)),
    )  # fmt: skip


class SyntheticFaceFeed:
    """Reads a SyntheticSource and yields FeedItems. Not thread-safe (call from the UI thread)."""

    def __init__(self, fps: float = 30.0, seed: int = 0, realtime: bool = True) -> None:
        from bridge.synth.source import SyntheticSource  # imported here: the renderer is only needed live

        self.source = SyntheticSource(fps=fps, seed=seed, realtime=realtime)
        self.fps, self.realtime = float(fps), bool(realtime)
        self._probs = np.zeros(len(FER8), dtype=np.float32)
        self._probs[0] = 1.0
        self._last_t: float | None = None

    def next(self, timeout: float = 0.0) -> FeedItem | None:
        """The newest frame's FaceState, or None if no frame is due within ``timeout`` seconds."""
        frames: FrameSet | None = self.source.read(timeout)
        if frames is None:
            return None
        # Offline (screenshots, tests) frames come faster than real time: use the performance's own clock so
        # curves, cross-fades and hysteresis timing look as they would live.
        t = frames.capture_time if self.realtime else frames.sequence / self.fps
        dt = 0.0 if self._last_t is None else max(t - self._last_t, 0.0)
        self._last_t = t
        raw_label: Any = frames.labels.get("fer8", 0)  # labels are free-form per source
        label = int(raw_label)
        if label >= 0:  # -1: between two emotions the performance has no label; hold the current probabilities
            one_hot = np.zeros(len(FER8), dtype=np.float32)
            one_hot[label] = 1.0
            k = 1.0 - np.exp(-dt / EMOTION_SMOOTHING_S) if dt > 0 else 1.0
            self._probs = (1.0 - k) * self._probs + k * one_hot
        state = labels_to_face_state(frames.labels, t, frames.sequence, self._probs / self._probs.sum())
        return FeedItem(state, frames.images)

    def close(self) -> None:
        self.source.close()
