"""The Tracker: raw model outputs + frame quality in, one immutable FaceState per frame out.

Per frame: failure detection (per region) -> One Euro on shapes/gaze/openness, fed only with healthy regions
(failing ones hold their last good value) -> range-of-motion calibration (optional) -> gaze recentre -> easing of
failing regions to neutral -> emotion smoothing + label hysteresis -> flags. Personalization (the neutral reference)
is owned here as ``tracker.neutral`` so the pipeline can pass ``tracker.neutral.reference()`` to the models.

Typical pipeline loop::

    quality = assess_frames(frames)
    inputs = models.preprocess(frames)
    outputs = models.predict(inputs, tracker.neutral.reference())
    state = tracker.update(outputs, quality, frames.capture_time, frames.sequence, inputs=inputs)

and ``tracker.idle(now)`` every ~100-500 ms when no frame set arrives at all (so "camera lost" is reported and the
avatar eases to neutral).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.inference.types import ModelInputs, ModelOutputs
from bridge.schema import (
    AU10,
    BLENDSHAPE_NAMES,
    EMOTIVE5,
    EYE_SHAPES_LEFT,
    EYE_SHAPES_RIGHT,
    FER8,
    NUM_BLENDSHAPES,
    REGIONS,
    EyeState,
    FaceState,
    TrackingFlags,
)
from bridge.tracking.config import TrackingConfig
from bridge.tracking.emotion import EmotionSmoother, LabelHysteresis, one_hot, pool_sources
from bridge.tracking.failure import FailureDetector, FailureStatus
from bridge.tracking.filters import OneEuroFilter
from bridge.tracking.neutral import NeutralReference
from bridge.tracking.quality import FrameQuality
from bridge.tracking.rom import RangeOfMotion

# Channel layout of the filtered vector: 52 shapes, gaze (L yaw, L pitch, R yaw, R pitch), openness (L, R).
GAZE = slice(NUM_BLENDSHAPES, NUM_BLENDSHAPES + 4)
OPENNESS = slice(NUM_BLENDSHAPES + 4, NUM_BLENDSHAPES + 6)
NUM_CHANNELS = NUM_BLENDSHAPES + 6
_L, _R, _MOUTH, _LOWER = (REGIONS.index(r) for r in ("left_eye", "right_eye", "mouth", "lower_face"))


def channel_regions() -> np.ndarray:
    """(NUM_CHANNELS, len(REGIONS)) bool: which camera regions can observe each channel.

    Eye and brow shapes belong to their own eye camera (browInnerUp to both); cheekSquint is seen by the eye
    camera's lower lid and by the mouth/lower-face cameras; everything else is lower face (mouth camera or external
    webcam, whichever is running).
    """
    m = np.zeros((NUM_CHANNELS, len(REGIONS)), bool)
    idx = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}
    lower = [_MOUTH, _LOWER]
    for i in range(NUM_BLENDSHAPES):
        m[i, lower] = True
    for i in EYE_SHAPES_LEFT:
        m[i] = False
        m[i, _L] = True
    for i in EYE_SHAPES_RIGHT:
        m[i] = False
        m[i, _R] = True
    for name, regions in (("browDownLeft", [_L]), ("browOuterUpLeft", [_L]), ("browDownRight", [_R]),
                          ("browOuterUpRight", [_R]), ("browInnerUp", [_L, _R])):
        m[idx[name]] = False
        m[idx[name], regions] = True
    m[idx["cheekSquintLeft"], _L] = True
    m[idx["cheekSquintRight"], _R] = True
    m[GAZE.start:GAZE.start + 2, _L] = True
    m[GAZE.start + 2:GAZE.stop, _R] = True
    m[OPENNESS.start, _L] = True
    m[OPENNESS.start + 1, _R] = True
    m.setflags(write=False)
    return m


_CHANNEL_REGIONS = channel_regions()
_CHANNEL_REGIONS_F = _CHANNEL_REGIONS.astype(np.float64)
_NEUTRAL_CHANNELS = np.zeros(NUM_CHANNELS)
_NEUTRAL_CHANNELS[OPENNESS] = 1.0  # neutral = eyes open, gaze centred, all shapes 0
_NEUTRAL_E8 = one_hot(len(FER8))
_NEUTRAL_E5 = one_hot(len(EMOTIVE5))


@dataclass(frozen=True, slots=True)
class _Emotion:
    """The emotion part of one frame's FaceState (after smoothing and easing)."""

    emotion8: np.ndarray
    emotive5: np.ndarray
    au10: np.ndarray
    valence: float
    arousal: float
    label: int  # index into FER8


class Tracker:
    """Composes personalization, failure detection, filters, RoM calibration and the emotion output."""

    def __init__(self, config: TrackingConfig | None = None) -> None:
        self.config = config or TrackingConfig()
        self.config.validate()
        fc = self.config.filters
        self.neutral = NeutralReference(self.config.neutral)
        self.failure = FailureDetector(self.config.failure)
        self.rom = RangeOfMotion(self.config.rom)
        self._filter = OneEuroFilter.from_groups(
            [(fc.shapes, NUM_BLENDSHAPES), (fc.gaze, 4), (fc.openness, 2)], _NEUTRAL_CHANNELS)
        self._emotion = EmotionSmoother(fc.probability_tau_s if fc.enabled else 0.0,
                                        fc.affect_tau_s if fc.enabled else 0.0)
        self._label = LabelHysteresis(self.config.emotion.label_margin, self.config.emotion.label_hold_s)
        self._held = _NEUTRAL_CHANNELS.copy()  # last healthy values when filters are disabled
        self._gaze_offset = np.zeros(4)
        self._paused = False
        self._va_from_model = False
        self._was_capturing = False
        self.warnings: list[str] = []  # non-fatal problems (e.g. an unreadable profile) for the app to log
        self.last_state = FaceState.neutral()
        self.last_status: FailureStatus | None = None
        if self.config.rom.enabled:
            try:
                self.rom.load()
            except ValueError as exc:
                self.warnings.append(f"range-of-motion profile ignored: {exc}")

    # --- commands ----------------------------------------------------------------------------------------------

    def recalibrate(self) -> None:
        """Capture a new neutral reference starting at the next frame (e.g. after the headset was re-seated)."""
        self.neutral.recalibrate()

    def reset_calibration(self) -> None:
        """Forget the learned range of motion (in memory; the next save_calibration() overwrites the profile)."""
        self.rom.reset()

    def save_calibration(self) -> Path | None:
        """Save the range-of-motion profile if RoM calibration is enabled; returns the file written."""
        if not self.config.rom.enabled:
            return None
        return self.rom.save()

    def recenter(self) -> None:
        """Make the current gaze the new straight-ahead (per eye)."""
        current = self._filter.value[GAZE] if self.config.filters.enabled else self._held[GAZE]
        self._gaze_offset = np.where(np.isfinite(current), current, 0.0)

    def pause(self) -> None:
        """Freeze the outputs: update() returns the last state (new time/sequence) flagged PAUSED."""
        self._paused = True

    def resume(self) -> None:
        """Continue tracking after pause()."""
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    # --- per frame ---------------------------------------------------------------------------------------------

    def idle(self, timestamp: float, sequence: int | None = None) -> FaceState:
        """A step with no camera data at all (no frame set arrived): reports lost cameras and eases to neutral after
        the timeout. ``sequence`` defaults to the last frame's (no new frame was captured)."""
        seq = self.last_state.sequence if sequence is None else sequence
        return self.update(ModelOutputs(), FrameQuality.empty(timestamp), timestamp, seq)

    def update(self, outputs: ModelOutputs, quality: FrameQuality, timestamp: float, sequence: int,
               inputs: ModelInputs | None = None) -> FaceState:
        """One frame: returns the FaceState to send. Never raises on bad model values (NaN/None are held).

        Pass ``inputs`` (the preprocessed crops) to let the tracker feed the neutral reference itself, skipping
        blinks and failing frames.
        """
        if self._paused:
            return self._remember(self._paused_state(timestamp, sequence))
        status, capturing = self._assess(outputs, quality, timestamp)
        x = self._measurement(outputs)
        channel_status = _one_eye_drives_both(status)
        healthy_ch = (_CHANNEL_REGIONS_F @ channel_status.healthy) > 0
        values = self._filtered(x, healthy_ch, timestamp)
        at_neutral = self._personalize(x, status, inputs, timestamp, capturing)
        values = self._calibrated(values, x, healthy_ch, at_neutral)
        values = self._eased_to_neutral(values, channel_status)
        emotion = self._emotion_step(outputs, status, timestamp)
        flags = self._flags(outputs, status, capturing)
        return self._remember(self._face_state(values, emotion, status, flags, timestamp, sequence))

    # --- the steps of update(), in order ----------------------------------------------------------------------

    def _paused_state(self, timestamp: float, sequence: int) -> FaceState:
        """The last state again, with this frame's time and sequence, flagged PAUSED."""
        return self.last_state.with_changes(timestamp=timestamp, sequence=sequence,
                                            flags=self.last_state.flags | TrackingFlags.PAUSED)

    def _assess(self, outputs: ModelOutputs, quality: FrameQuality, timestamp: float) -> tuple[FailureStatus, bool]:
        """Failure detection per region, and whether the neutral reference is being captured (starting a RoM
        neutral capture when it begins)."""
        status = self.failure.update(quality, outputs.confidence, timestamp)
        self.last_status = status
        capturing = self.neutral.capturing(timestamp)
        if capturing and not self._was_capturing:
            self.rom.begin_neutral_capture()
        self._was_capturing = capturing
        return status, capturing

    def _filtered(self, x: np.ndarray, healthy_ch: np.ndarray, timestamp: float) -> np.ndarray:
        """One Euro over the channels, fed only with healthy ones (failing channels hold their last good value)."""
        if self.config.filters.enabled:
            return self._filter.update(x, timestamp, healthy_ch).copy()
        use = healthy_ch & np.isfinite(x)
        self._held[use] = x[use]
        return self._held.copy()

    def _personalize(self, x: np.ndarray, status: FailureStatus, inputs: ModelInputs | None, timestamp: float,
                     capturing: bool) -> bool:
        """Feed the neutral reference (skipping blinks and failing eyes); returns True when this frame is a
        usable neutral sample for range-of-motion calibration."""
        eyes_ok = bool(status.healthy[_L] or not status.seen[_L]) and bool(status.healthy[_R] or not status.seen[_R])
        eyes_open = self._eyes_open(x)
        if inputs is not None:
            self.neutral.add(inputs.images, timestamp, eyes_open=eyes_open, failing=not eyes_ok)
        return capturing and eyes_open and eyes_ok

    def _calibrated(self, values: np.ndarray, x: np.ndarray, healthy_ch: np.ndarray, at_neutral: bool) -> np.ndarray:
        """Range-of-motion calibration of the shapes (optional), then the gaze recentre offset."""
        if self.config.rom.enabled:
            shapes = values[:NUM_BLENDSHAPES]
            if self.config.rom.learn:
                seen_now = healthy_ch[:NUM_BLENDSHAPES] & np.isfinite(x[:NUM_BLENDSHAPES])
                self.rom.observe(shapes, seen_now, at_neutral=at_neutral)
            values[:NUM_BLENDSHAPES] = self.rom.apply(shapes)
        values[GAZE] -= self._gaze_offset
        return values

    @staticmethod
    def _eased_to_neutral(values: np.ndarray, status: FailureStatus) -> np.ndarray:
        """Ease each channel towards neutral with the best weight among the regions that can observe it."""
        w_ch = (_CHANNEL_REGIONS_F * status.weight).max(axis=1)
        return _NEUTRAL_CHANNELS + w_ch * (values - _NEUTRAL_CHANNELS)

    def _emotion_step(self, outputs: ModelOutputs, status: FailureStatus, timestamp: float) -> _Emotion:
        """Smoothed emotion distributions from healthy sources, eased by region weight, plus the label."""
        w = status.weight
        w_eyes = max(w[_L], w[_R])
        w_any = float(w.max())
        eye_healthy = bool(status.healthy[_L] or status.healthy[_R])
        any_healthy = bool(status.healthy.any())
        if outputs.valence is not None:
            self._va_from_model = True
        smoothed = self._emotion.update(
            self._fused_emotion8(outputs, status) if any_healthy else None,
            _distribution(outputs.emotive5, len(EMOTIVE5)) if eye_healthy else None,
            _distribution(outputs.au10, len(AU10)) if eye_healthy else None,
            outputs.valence if eye_healthy else None,
            outputs.arousal if eye_healthy else None,
            timestamp,
        )
        e8 = _NEUTRAL_E8 + w_any * (smoothed.emotion8 - _NEUTRAL_E8)
        w_va = w_eyes if self._va_from_model else w_any
        return _Emotion(
            emotion8=e8,
            emotive5=_NEUTRAL_E5 + w_eyes * (smoothed.emotive5 - _NEUTRAL_E5),
            au10=w_eyes * smoothed.au10,
            valence=w_va * smoothed.valence,
            arousal=w_va * smoothed.arousal,
            label=self._label.update(e8, timestamp),
        )

    def _flags(self, outputs: ModelOutputs, status: FailureStatus, capturing: bool) -> TrackingFlags:
        """The failure flags plus calibration / personalization state."""
        flags = status.flags
        if capturing:
            flags |= TrackingFlags.CALIBRATING_NEUTRAL
        eye_model_ran = outputs.emotive5 is not None or outputs.au10 is not None
        if self.neutral.reference() is None or (eye_model_ran and not outputs.personalized):
            flags |= TrackingFlags.NO_PERSONALIZATION
        return flags

    @staticmethod
    def _face_state(values: np.ndarray, emotion: _Emotion, status: FailureStatus, flags: TrackingFlags,
                    timestamp: float, sequence: int) -> FaceState:
        g = values[GAZE]
        o = values[OPENNESS]
        return FaceState(
            timestamp=timestamp,
            sequence=sequence,
            blendshapes=values[:NUM_BLENDSHAPES],
            left_eye=EyeState(gaze_yaw=float(g[0]), gaze_pitch=float(g[1]), openness=float(o[0])),
            right_eye=EyeState(gaze_yaw=float(g[2]), gaze_pitch=float(g[3]), openness=float(o[1])),
            emotive5=emotion.emotive5,
            au10=emotion.au10,
            emotion8=emotion.emotion8,
            emotion_label=FER8[emotion.label],
            valence=emotion.valence,
            arousal=emotion.arousal,
            confidence=status.confidence,
            flags=flags,
        )

    def _remember(self, state: FaceState) -> FaceState:
        self.last_state = state
        return state

    @staticmethod
    def _fused_emotion8(outputs: ModelOutputs, status: FailureStatus) -> np.ndarray | None:
        """The models' fused FER8 distribution, or, when a source's camera is failing, a re-fusion of the healthy
        sources only (sources: "eyes", "mouth", "lower_face", "shapes" (from all cameras) or a region name)."""
        fused = _distribution(outputs.emotion8, len(FER8))
        if not outputs.emotion8_sources:
            return fused
        healthy = dict(zip(REGIONS, status.healthy.tolist(), strict=True))
        all_ok = all(h or not s for h, s in zip(status.healthy, status.seen, strict=True))
        source_ok = {"eyes": healthy["left_eye"] or healthy["right_eye"], "shapes": all_ok, **healthy}
        kept, dropped = [], False
        for name, probs in outputs.emotion8_sources.items():
            dist = _distribution(probs, len(FER8))
            if dist is not None and source_ok.get(name, all_ok):
                kept.append(dist)
            else:
                dropped = True
        if fused is not None and not dropped:
            return fused
        return pool_sources(kept)

    def _measurement(self, outputs: ModelOutputs) -> np.ndarray:
        """Raw outputs as one channel vector; NaN where a model produced nothing (or produced garbage)."""
        x = np.full(NUM_CHANNELS, np.nan)
        if outputs.blendshapes is not None:
            x[:NUM_BLENDSHAPES] = _vector(outputs.blendshapes, NUM_BLENDSHAPES)
        if outputs.gaze is not None:
            x[GAZE] = _vector(outputs.gaze, 4)
        if outputs.openness is not None:
            x[OPENNESS] = _vector(outputs.openness, 2)
        return x

    def _eyes_open(self, x: np.ndarray) -> bool:
        """Both eyes open in this frame's raw outputs (openness, else 1 - eyeBlink); True when unknown."""
        closed_below = self.config.neutral.closed_below
        for open_ch, blink_ch in ((OPENNESS.start, EYE_SHAPES_LEFT[0]), (OPENNESS.start + 1, EYE_SHAPES_RIGHT[0])):
            est = x[open_ch] if np.isfinite(x[open_ch]) else 1.0 - x[blink_ch]
            if est < closed_below:  # NaN compares False: unknown counts as open
                return False
        return True


def _one_eye_drives_both(status: FailureStatus) -> FailureStatus:
    """With ONE eye camera (the other eye never seen) the models copy the present eye's shapes, gaze and openness
    onto the missing eye, so that eye's channels follow the present camera's health and weight: a blink is a blink,
    not a wink. An eye that WAS seen and is now failing keeps its own status (it eases to neutral)."""
    seen = status.seen
    if bool(seen[_L]) == bool(seen[_R]):
        return status
    src, dst = (_L, _R) if seen[_L] else (_R, _L)
    healthy, weight = status.healthy.copy(), status.weight.copy()
    healthy[dst], weight[dst] = healthy[src], weight[src]
    return dataclasses.replace(status, healthy=healthy, weight=weight)


def _vector(values: np.ndarray, n: int) -> np.ndarray:
    """Flatten a model output to n floats; a wrong size becomes all-NaN (held) instead of an exception."""
    v = np.asarray(values, np.float64).reshape(-1)
    return v if v.shape[0] == n else np.full(n, np.nan)


def _distribution(values: np.ndarray | None, n: int) -> np.ndarray | None:
    """A model's class vector if it has the right size and is finite, else None (held, not raised)."""
    if values is None:
        return None
    v = np.asarray(values, np.float64).reshape(-1)
    return v if v.shape[0] == n and np.isfinite(v).all() else None
