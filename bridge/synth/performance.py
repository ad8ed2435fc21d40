"""Performances: per-frame timelines of shapes + gaze + exact labels.

- ``collection_performance``: an Eyemotion-style collection session: neutral hold (default 5 s), then each
  emotive expression and each upper-face AU held while the gaze follows a moving target (plus the other FER8
  emotions, for the lower-face/FER models). Transitions are labelled -1 (none of the classes).
- ``free_performance``: natural blinks and saccades, speech-like mouth motion, emotions with onset/apex/offset
  and varying intensity, asymmetric expressions and co-occurring AUs.

Labels come from the shapes themselves where possible (AU10 multi-hot, openness, eyeLook*), so they are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from bridge.schema import BLENDSHAPE_INDEX as _I
from bridge.schema import EMOTIVE5, FER8, MIRROR_INDEX, NUM_BLENDSHAPES
from bridge.synth.expressions import (
    AU_HOLD_SHAPES,
    CLOSED_ON,
    EMOTION_VA,
    EXPRESSION_INDEX,
    apply_look_shapes,
    au10_from_shapes,
    expression_shapes,
    lid_opening,
)

NEUTRAL_SECONDS = 5.0
HOLD_SECONDS = 2.0
RAMP_SECONDS = 0.35
GAP_SECONDS = 0.2
# Order of a collection session after the neutral hold (Eyemotion: emotive classes, then the AUs).
COLLECTION_ITEMS: tuple[str, ...] = (
    ("anger", "surprise", "happiness", "eyes_closed")
    + tuple(AU_HOLD_SHAPES)
    + ("sadness", "disgust", "fear", "contempt")
)
_EYES_CLOSED_ITEMS = ("eyes_closed", "AU43")


@dataclass(frozen=True, slots=True)
class Performance:
    """Per-frame arrays (T = frames). See module docstring; ``expression`` indexes expressions.EXPRESSIONS."""

    time: np.ndarray  # (T,) float32 seconds
    blendshapes: np.ndarray  # (T, 52) float32 0..1
    gaze: np.ndarray  # (T, 2, 2) float32 deg [left, right] x [yaw, pitch]
    openness: np.ndarray  # (T, 2) float32 0..1 [left, right]
    emotive5: np.ndarray  # (T,) int8 index into EMOTIVE5, -1 = none of the 5
    au10: np.ndarray  # (T, 10) uint8 multi-hot over AU10
    fer8: np.ndarray  # (T,) int8 index into FER8, -1 = undefined
    valence: np.ndarray  # (T,) float32 -1..1
    arousal: np.ndarray  # (T,) float32 -1..1
    neutral_hold: np.ndarray  # (T,) bool
    peak: np.ndarray  # (T,) bool: frame at an expression apex
    expression: np.ndarray  # (T,) int16 index into expressions.EXPRESSIONS

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @property
    def fps(self) -> float:
        """Frame rate implied by ``time`` (0 for fewer than two frames)."""
        if len(self) < 2:
            return 0.0
        return float(1.0 / np.median(np.diff(self.time)))

    def arrays(self) -> dict[str, np.ndarray]:
        """All fields as a dict (the shard keys)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Performance))


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _asymmetric(shapes: np.ndarray, amount: float) -> np.ndarray:
    """Scale the subject's left-side shapes by (1 + amount) and right-side ones by (1 - amount)."""
    left = np.array([n.endswith("Left") for n in _I], bool)
    right = np.array([n.endswith("Right") for n in _I], bool)
    out = shapes.copy()
    out[left] *= 1.0 + amount
    out[right] *= 1.0 - amount
    return np.clip(out, 0.0, 1.0)


def _pursuit_gaze(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """(T, 2) yaw/pitch of a smoothly moving target (sum of sinusoids), degrees."""
    yaw = np.zeros_like(t)
    pitch = np.zeros_like(t)
    for _ in range(3):
        yaw += rng.uniform(4, 10) * np.sin(2 * np.pi * rng.uniform(0.05, 0.35) * t + rng.uniform(0, 2 * np.pi))
        pitch += rng.uniform(3, 7) * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 2 * np.pi))
    return np.stack([np.clip(yaw, -30, 30), np.clip(pitch - 2.0, -25, 20)], -1)


def _binocular(gaze: np.ndarray, vergence: float) -> np.ndarray:
    """(T, 2) cyclopean gaze -> (T, 2, 2) per eye; each eye turns ``vergence`` deg toward the nose."""
    out = np.repeat(gaze[:, None, :], 2, axis=1).astype(np.float32)
    out[:, 0, 0] += vergence  # the left eye turns toward the subject's right (yaw > 0)
    out[:, 1, 0] -= vergence
    return out


def _blinks(rng: np.random.Generator, t: np.ndarray, rate_hz: float) -> np.ndarray:
    """(T,) 0..1 blink curve: fast close, slower open (~0.1-0.35 s), Poisson onsets."""
    out = np.zeros_like(t)
    dur = t[-1] if len(t) else 0.0
    onset = rng.exponential(1.0 / rate_hz)
    while onset < dur:
        close, hold, reopen = rng.uniform(0.05, 0.1), rng.uniform(0.0, 0.08), rng.uniform(0.1, 0.25)
        depth = 1.0 if rng.random() < 0.85 else rng.uniform(0.5, 0.9)  # some blinks are incomplete
        tt = t - onset
        curve = np.where(tt < close, tt / close, np.where(tt < close + hold, 1.0, 1.0 - (tt - close - hold) / reopen))
        out = np.maximum(out, depth * np.clip(curve, 0, 1) * (tt >= 0))
        onset += close + hold + reopen + rng.exponential(1.0 / rate_hz)
    return out.astype(np.float32)


def _finish(t, shapes, gaze, emotive5, fer8, va, neutral_hold, peak, expression) -> Performance:
    shapes = apply_look_shapes(np.clip(shapes, 0, 1), gaze)
    _, _, openness = lid_opening(shapes, gaze)
    return Performance(
        time=t.astype(np.float32), blendshapes=shapes.astype(np.float32), gaze=gaze.astype(np.float32),
        openness=openness.astype(np.float32), emotive5=emotive5.astype(np.int8), au10=au10_from_shapes(shapes),
        fer8=fer8.astype(np.int8), valence=np.clip(va[:, 0], -1, 1).astype(np.float32),
        arousal=np.clip(va[:, 1], -1, 1).astype(np.float32), neutral_hold=neutral_hold.astype(bool),
        peak=peak.astype(bool), expression=expression.astype(np.int16),
    )


def _check_fps(fps: float) -> None:
    if not (isinstance(fps, int | float) and 1.0 <= fps <= 1000.0):
        raise ValueError(f"fps must be a number in 1..1000, got {fps!r}")


def collection_performance(
    rng: np.random.Generator,
    fps: float = 30.0,
    neutral_seconds: float = NEUTRAL_SECONDS,
    hold_seconds: float = HOLD_SECONDS,
    items: tuple[str, ...] | None = None,
) -> Performance:
    """An Eyemotion-style collection session (one donning).

    Neutral hold, then each item of ``items`` (default COLLECTION_ITEMS) ramps in, is held at a random
    intensity while the gaze follows a moving target, and ramps out. Blinks during non-closed holds are
    labelled emotive5 = -1 (Eyemotion removed them from those classes).
    """
    _check_fps(fps)
    items = COLLECTION_ITEMS if items is None else tuple(items)
    for it in items:
        if it not in EXPRESSION_INDEX:
            raise ValueError(f"collection item {it!r} is unknown; expected names from {tuple(EXPRESSION_INDEX)}")
    if neutral_seconds < 0 or hold_seconds <= 0:
        raise ValueError("neutral_seconds must be >= 0 and hold_seconds > 0")
    item_len = 2 * RAMP_SECONDS + hold_seconds + GAP_SECONDS
    duration = neutral_seconds + item_len * len(items)
    n = max(1, int(round(duration * fps)))
    t = np.arange(n, dtype=np.float64) / fps
    shapes = np.zeros((n, NUM_BLENDSHAPES), np.float32)
    emotive5 = np.full(n, -1, np.int8)
    fer8 = np.full(n, -1, np.int8)
    va = np.zeros((n, 2), np.float32)
    peak = np.zeros(n, bool)
    expression = np.zeros(n, np.int16)
    neutral_hold = t < neutral_seconds
    emotive5[neutral_hold] = EMOTIVE5.index("neutral")
    fer8[neutral_hold] = FER8.index("neutral")
    closed_item = np.zeros(n, bool)
    for k, item in enumerate(items):
        start = neutral_seconds + k * item_len
        tt = t - start
        env = _smoothstep(tt / RAMP_SECONDS) * (1.0 - _smoothstep((tt - RAMP_SECONDS - hold_seconds) / RAMP_SECONDS))
        env = env * ((tt >= 0) & (tt < item_len))
        intensity = 1.0 if item in _EYES_CLOSED_ITEMS or item.startswith("AU46") else rng.uniform(0.6, 1.0)
        apex = expression_shapes(item) * intensity
        if item == "contempt" and rng.random() < 0.5:  # unilateral: either side
            apex = apex[MIRROR_INDEX]
        if item not in _EYES_CLOSED_ITEMS and not item.startswith("AU46"):
            apex = _asymmetric(apex, rng.uniform(-0.15, 0.15))
        shapes = np.maximum(shapes, env[:, None].astype(np.float32) * apex[None])
        active = (tt >= 0) & (tt < item_len)
        expression[active] = EXPRESSION_INDEX[item]
        plateau = (tt >= RAMP_SECONDS) & (tt < RAMP_SECONDS + hold_seconds)
        peak |= plateau
        closed_item |= active & (item in _EYES_CLOSED_ITEMS or item.startswith("AU46"))
        e5 = "eyes_closed" if item in _EYES_CLOSED_ITEMS else item
        if e5 in EMOTIVE5:
            emotive5[plateau] = EMOTIVE5.index(e5)
        if item in FER8:
            fer8[plateau] = FER8.index(item)
        if item in EMOTION_VA:
            va[active] = np.asarray(EMOTION_VA[item], np.float32) * env[active, None] * intensity
        if item.startswith("AU"):  # a single held AU is not an emotion: neutral in FER terms only if AU0
            fer8[plateau] = -1
    # The participant keeps blinking (less while concentrating) except while holding eyes closed/winks.
    blinks = _blinks(rng, t, rate_hz=rng.uniform(0.15, 0.35)) * ~closed_item
    shapes[:, _I["eyeBlinkLeft"]] = np.maximum(shapes[:, _I["eyeBlinkLeft"]], blinks)
    shapes[:, _I["eyeBlinkRight"]] = np.maximum(shapes[:, _I["eyeBlinkRight"]], blinks)
    blinking = blinks >= 0.3
    emotive5[blinking] = -1  # removed from the non-closed classes, as in Eyemotion
    peak[blinking & ~closed_item] = False
    gaze = _binocular(_pursuit_gaze(rng, t), rng.uniform(0.5, 3.0))
    return _finish(t, shapes, gaze, emotive5, fer8, va, neutral_hold, peak, expression)


# Emotions of free performances and how often they occur.
_FREE_EMOTIONS = ("happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt")
# Single AUs that co-occur with anything (name -> shape weights).
_FREE_AUS = ("AU1+2L", "AU1+2R", "AU4", "AU5", "AU44", "AU46L", "AU46R", "AU6")


def _saccade_gaze(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """(T, 2) fixations joined by saccades (main-sequence durations), slow drift and micro-jitter."""
    n = len(t)
    gaze = np.zeros((n, 2), np.float32)
    cur = np.array([rng.normal(0, 8), rng.normal(-3, 6)])
    i = 0
    while i < n:
        fix = int(max(1, rng.gamma(2.0, 0.3) * (n / max(t[-1], 1e-6) if n > 1 else 1)))
        target = np.clip(cur + rng.normal(0, 12, 2), [-32, -25], [32, 20])
        if rng.random() < 0.3:
            target = np.clip(rng.normal(0, 5, 2), [-32, -25], [32, 20])  # back toward the centre
        amp = float(np.hypot(*(target - cur)))
        sac = max(1, int(round((0.02 + 0.0022 * amp) / max(t[1] - t[0], 1e-6)))) if n > 1 else 1
        end_fix = min(n, i + fix)
        gaze[i:end_fix] = cur
        s_end = min(n, end_fix + sac)
        if s_end > end_fix:
            w = _smoothstep(np.linspace(0, 1, s_end - end_fix + 1)[1:])[:, None]
            gaze[end_fix:s_end] = cur + w * (target - cur)
        cur = target
        i = s_end
    jitter = np.cumsum(rng.normal(0, 0.05, (n, 2)), axis=0)
    jitter -= np.linspace(0, 1, n)[:, None] * jitter[-1:]
    return (gaze + jitter).astype(np.float32)


def _speech(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """(T, 52) speech-like mouth motion: syllables at 3-6 Hz in bursts (jaw, lips, funnel, pucker...)."""
    n = len(t)
    out = np.zeros((n, NUM_BLENDSHAPES), np.float32)
    dur = t[-1] if n else 0.0
    start = rng.uniform(0, 2.0)
    names = ("mouthFunnel", "mouthPucker", "mouthClose", "mouthStretchLeft", "mouthStretchRight",
             "mouthRollLower", "mouthPressLeft", "mouthPressRight", "mouthUpperUpLeft", "mouthUpperUpRight",
             "mouthLowerDownLeft", "mouthLowerDownRight", "mouthShrugUpper")  # fmt: skip
    while start < dur:
        burst = rng.uniform(0.8, 4.0)
        rate = rng.uniform(3.0, 6.0)
        k = start
        while k < min(start + burst, dur):
            syl = 1.0 / rate * rng.uniform(0.7, 1.3)
            tt = (t - k) / syl
            env = np.sin(np.pi * np.clip(tt, 0, 1)) ** 2
            out[:, _I["jawOpen"]] = np.maximum(out[:, _I["jawOpen"]], env * rng.uniform(0.08, 0.45))
            for name in rng.choice(names, size=int(rng.integers(1, 3)), replace=False):
                out[:, _I[name]] = np.maximum(out[:, _I[name]], env * rng.uniform(0.2, 0.7))
            k += syl
        start += burst + rng.exponential(2.0)
    return out


def free_performance(rng: np.random.Generator, seconds: float, fps: float = 30.0,
                     neutral_seconds: float = 0.0) -> Performance:
    """A natural, unscripted performance of ``seconds`` (optionally starting with a neutral hold)."""
    _check_fps(fps)
    if not (seconds > 0):
        raise ValueError(f"seconds must be > 0, got {seconds!r}")
    n = max(1, int(round(seconds * fps)))
    t = np.arange(n, dtype=np.float64) / fps
    hold = t < neutral_seconds
    active_t = ~hold
    shapes = np.zeros((n, NUM_BLENDSHAPES), np.float32)
    # Emotion episodes with onset/apex/offset; one at a time, varying intensity and asymmetry.
    emo_env = np.zeros(n, np.float32)
    emo_id = np.full(n, -1, np.int16)
    peak = np.zeros(n, bool)
    va = np.zeros((n, 2), np.float32)
    k = neutral_seconds + rng.uniform(0.3, 2.0)
    while k < seconds:
        emotion = str(rng.choice(_FREE_EMOTIONS))
        onset, apex_len, offset = rng.uniform(0.15, 0.8), rng.uniform(0.4, 3.0), rng.uniform(0.3, 1.2)
        intensity = rng.uniform(0.3, 1.0)
        tt = t - k
        env = _smoothstep(tt / onset) * (1.0 - _smoothstep((tt - onset - apex_len) / offset))
        env = (env * ((tt >= 0) & (tt < onset + apex_len + offset))).astype(np.float32)
        apex = expression_shapes(emotion) * intensity
        if emotion == "contempt" and rng.random() < 0.5:
            apex = apex[MIRROR_INDEX]
        apex = _asymmetric(apex, rng.uniform(-0.4, 0.4) if rng.random() < 0.4 else rng.uniform(-0.1, 0.1))
        shapes = np.maximum(shapes, env[:, None] * apex[None])
        mine = env > 0
        emo_id[mine] = EXPRESSION_INDEX[emotion]
        emo_env[mine] = env[mine]
        peak |= (tt >= onset) & (tt < onset + apex_len)
        va[mine] = np.asarray(EMOTION_VA[emotion], np.float32) * (env[mine, None] * intensity)
        k += onset + apex_len + offset + rng.exponential(1.5)
    # Co-occurring single AUs (brow raises, squints, winks...), independent of the emotions.
    k = neutral_seconds + rng.exponential(3.0)
    while k < seconds:
        au = str(rng.choice(_FREE_AUS))
        dur = rng.uniform(0.3, 2.0)
        tt = t - k
        env = np.sin(np.pi * np.clip(tt / dur, 0, 1)) ** 0.5
        amp = 1.0 if au.startswith("AU46") else rng.uniform(0.4, 1.0)
        shapes = np.maximum(shapes, (env * amp)[:, None].astype(np.float32) * expression_shapes(au)[None])
        k += dur + rng.exponential(4.0)
    shapes = np.maximum(shapes, _speech(rng, t) * active_t[:, None])
    if rng.random() < 0.15:  # occasional puff / tongue / jaw sideways play
        k = rng.uniform(neutral_seconds, max(seconds, neutral_seconds + 1e-3))
        env = np.sin(np.pi * np.clip((t - k) / rng.uniform(0.5, 2.0), 0, 1))
        name = str(rng.choice(["cheekPuff", "tongueOut", "jawLeft", "jawRight", "mouthLeft", "mouthRight",
                               "jawForward"]))
        shapes[:, _I[name]] = np.maximum(shapes[:, _I[name]], env * rng.uniform(0.4, 1.0))
    blinks = _blinks(rng, t, rate_hz=rng.uniform(0.2, 0.5))
    for name in ("eyeBlinkLeft", "eyeBlinkRight"):
        shapes[:, _I[name]] = np.maximum(shapes[:, _I[name]], blinks)
    gaze = _binocular(_saccade_gaze(rng, t), rng.uniform(0.5, 3.0))
    shapes[hold] = 0.0
    shapes[hold, _I["eyeBlinkLeft"]] = blinks[hold]
    shapes[hold, _I["eyeBlinkRight"]] = blinks[hold]
    emo_id[hold] = -1
    peak[hold] = False
    va[hold] = 0.0

    # Labels: the emotion when near its apex (>= half), neutral when nothing is going on, else -1.
    bl = np.minimum(shapes[:, _I["eyeBlinkLeft"]], shapes[:, _I["eyeBlinkRight"]])
    both_closed = bl >= CLOSED_ON
    quiet = (emo_id < 0) | (emo_env < 0.1)
    strong = (emo_id >= 0) & (emo_env >= 0.5)
    fer8 = np.full(n, -1, np.int8)
    fer8[quiet] = FER8.index("neutral")
    for e in _FREE_EMOTIONS:
        fer8[strong & (emo_id == EXPRESSION_INDEX[e])] = FER8.index(e)
    emotive5 = np.full(n, -1, np.int8)
    au10 = au10_from_shapes(shapes)
    upper_quiet = au10[:, 0].astype(bool)  # AU0: no upper-face AU active
    emotive5[quiet & upper_quiet] = EMOTIVE5.index("neutral")
    for e in ("anger", "surprise", "happiness"):
        emotive5[strong & (emo_id == EXPRESSION_INDEX[e]) & ~both_closed] = EMOTIVE5.index(e)
    emotive5[both_closed] = EMOTIVE5.index("eyes_closed")
    expression = np.where(emo_id >= 0, emo_id, EXPRESSION_INDEX["neutral"]).astype(np.int16)
    return _finish(t, shapes, gaze, emotive5, fer8, va, hold, peak & ~hold, expression)
