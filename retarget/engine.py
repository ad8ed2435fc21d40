"""Retargeter: FaceState -> RetargetFrame with a compiled preset. Stateful only for discrete emotion mode."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bridge.schema import FaceState
from retarget.compiled import EXTENDED_INPUTS, NUM_INPUTS, PAD_VALUES, CompiledPreset, compile_preset
from retarget.inputs import EMOTION_SLICE, INPUT_INDEX, face_state_to_vector
from retarget.spec import LightCue, Preset

_GAZE0 = INPUT_INDEX["gazeLeftYaw"]  # gazeLeftYaw, gazeLeftPitch, gazeRightYaw, gazeRightPitch follow


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True)
class RetargetFrame:
    """One retargeted frame. ``values[i]`` drives ``names[i]``; values are finite and inside the rig's range.

    ``names`` stays the same tuple object until the preset changes. ``light`` is the winning emotion's cue
    (None if it has none); ``vrm0_aliases`` maps VRM1 -> VRM0 names for VMC senders (vrm1 only). ``gaze_map`` is the
    (4, 4) linear map the preset's eyes/mirror options apply to (left yaw, left pitch, right yaw, right pitch),
    None for identity: outputs that need the unclamped gaze (VRChat's tan(angle) parameters) apply it to the
    FaceState's angles."""

    rig: str
    names: tuple[str, ...]
    values: np.ndarray
    light: LightCue | None
    emotion: str
    vrm0_aliases: dict[str, str] | None
    timestamp: float = 0.0
    sequence: int = 0
    gaze_map: np.ndarray | None = None

    def as_dict(self) -> dict[str, float]:
        """Target name -> value."""
        return {n: float(v) for n, v in zip(self.names, self.values, strict=True)}


class _DiscreteEmotion:
    """Winner selection with hysteresis + minimum hold, and a cross-fade between winners' weight vectors."""

    def __init__(self, emotions: tuple[str, ...], hysteresis: float, min_probability: float, min_hold_s: float,
                 crossfade_s: float) -> None:
        self.hysteresis, self.min_probability = hysteresis, min_probability
        self.min_hold_s, self.crossfade_s = min_hold_s, crossfade_s
        self.count = len(emotions)
        self.winner: int | None = None
        self.switched_at = 0.0
        self.fade_from = np.zeros(self.count, dtype=np.float32)
        self.one_hot = np.eye(self.count, dtype=np.float32)

    def update(self, probs: np.ndarray, t: float) -> tuple[int, np.ndarray]:
        """Feed this frame's probabilities at time t; returns (winner index, per-emotion pose weights)."""
        if self.winner is None:  # first frame: take the leader without fading in from nothing
            self.winner, self.switched_at = int(np.argmax(probs)), t
            self.fade_from = self.one_hot[self.winner]
        if t < self.switched_at:  # clock went backwards (replay restarted): restart timing, keep the winner
            self.switched_at = t
        weights = self._weights(t)
        leader = int(np.argmax(probs))
        if (
            leader != self.winner
            and probs[leader] >= probs[self.winner] + self.hysteresis
            and probs[leader] >= self.min_probability
            and t - self.switched_at >= self.min_hold_s
        ):
            self.fade_from = weights  # a switch mid-fade starts from what is shown now: no jump
            self.winner, self.switched_at = leader, t
            weights = self._weights(t)
        return self.winner, weights

    def _weights(self, t: float) -> np.ndarray:
        target = self.one_hot[self.winner]
        if self.crossfade_s <= 0:
            return target
        k = min(max((t - self.switched_at) / self.crossfade_s, 0.0), 1.0)
        return target if k >= 1.0 else (1.0 - k) * self.fade_from + k * target


class Retargeter:
    """Applies a preset to FaceStates. ``set_preset`` swaps presets atomically (compiled before the swap).

    One Retargeter per stream and thread: it reuses an input buffer and, in discrete mode, keeps the shown
    emotion and cross-fade state (driven by ``FaceState.timestamp``)."""

    def __init__(self, preset: Preset) -> None:
        self._x = np.zeros(EXTENDED_INPUTS, dtype=np.float32)
        self._x[NUM_INPUTS:] = PAD_VALUES
        self._install(compile_preset(preset))

    @property
    def preset(self) -> Preset:
        return self._c.preset

    @property
    def names(self) -> tuple[str, ...]:
        return self._c.names

    def set_preset(self, preset: Preset) -> None:
        """Switch to another preset. Compiles first, so a failure leaves the current one in place."""
        self._install(compile_preset(preset))

    def _install(self, compiled: CompiledPreset) -> None:
        s = compiled.preset.emotions
        discrete = None
        if s.mode == "discrete":
            discrete = _DiscreteEmotion(compiled.emotions, s.hysteresis, s.min_probability, s.min_hold_s,
                                        s.crossfade_s)
        self._c, self._discrete = compiled, discrete
        self._last_t = 0.0
        self._vrm0 = compiled.preset.rig_profile.vrm0_aliases
        m = compiled.input_map
        # The eyes/mirror map only mixes gaze slots among themselves (retarget/inputs.py), so its 4x4 gaze block is
        # the same map on angles in degrees.
        self._gaze_map = None if m is None else _readonly(m[_GAZE0:_GAZE0 + 4, _GAZE0:_GAZE0 + 4].copy())

    def reset(self) -> None:
        """Forget discrete-mode history (e.g. when the source restarts)."""
        self._install(self._c)

    def apply(self, fs: FaceState) -> RetargetFrame:
        """Retarget one frame."""
        c = self._c
        x = face_state_to_vector(fs, self._x)  # writes the first NUM_INPUTS slots; the pad slots stay
        if c.input_map is not None:
            x[:NUM_INPUTS] = c.input_map @ x[:NUM_INPUTS]
        xin = x[:NUM_INPUTS]
        v = c.weights @ xin
        tb = c.terms
        if tb is not None:
            gathered = x[tb.index]
            gathered *= tb.weight
            if len(tb.slices) == 1:
                op = tb.slices[0][0]
                reduced = gathered.max(axis=1) if op == "max" else (
                    gathered.min(axis=1) if op == "min" else gathered.prod(axis=1))
            else:
                reduced = np.empty(len(gathered), dtype=np.float32)
                for op, a, b in tb.slices:
                    rows = gathered[a:b]
                    reduced[a:b] = rows.max(axis=1) if op == "max" else (
                        rows.min(axis=1) if op == "min" else rows.prod(axis=1))
            v += tb.scatter @ reduced
        v = self._curve(v)

        t = fs.timestamp if math.isfinite(fs.timestamp) else self._last_t
        self._last_t = t
        if c.activation is not None:
            custom = np.minimum(np.maximum(c.activation @ xin, 0.0), 1.0)
            probs = np.concatenate((xin[EMOTION_SLICE], custom))
        else:
            probs = xin[EMOTION_SLICE]
        if self._discrete is not None:
            winner, weights = self._discrete.update(probs, t)
            emotion = c.emotions[winner]
        else:
            weights, emotion = probs, fs.emotion_label
        v = self._blend_emotions(v, weights)
        np.maximum(v, c.lo, out=v)  # two ufuncs: np.clip's wrapper costs more than the work here
        np.minimum(v, c.hi, out=v)
        light = c.lights[c.emotions.index(emotion)] if emotion in c.emotions else None
        return RetargetFrame(c.preset.rig, c.names, v, light, emotion, self._vrm0, fs.timestamp, fs.sequence,
                             self._gaze_map)

    def _curve(self, v: np.ndarray) -> np.ndarray:
        c = self._c
        if c.nonlinear:
            sign = np.sign(v)
            a = np.abs(v)
            a -= c.dead_zone
            np.maximum(a, 0.0, out=a)
            a *= c.dead_zone_scale
            if c.gamma is not None:
                np.power(a, c.gamma, out=a)
            for ease, idx in c.ease_groups:
                e = np.minimum(a[idx], 1.0)
                if ease == "ease_in":
                    a[idx] = e * e
                elif ease == "ease_out":
                    a[idx] = e * (2.0 - e)
                else:  # smoothstep
                    a[idx] = e * e * (3.0 - 2.0 * e)
            v = a * sign
        v *= c.gain
        v += c.offset
        np.maximum(v, c.curve_lo, out=v)
        return np.minimum(v, c.curve_hi, out=v)

    def _blend_emotions(self, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        c = self._c
        if c.add_pose is not None:
            v += c.add_pose @ w
        if c.override_pose is not None:
            # Convex mix: each override pose pulls its targets toward its values by its weight (weights sum <= 1).
            s = np.minimum(c.override_mask @ w, 1.0)
            v = v * (1.0 - s) + c.override_pose @ w
        if c.max_pose is not None:
            v = np.maximum(v, (c.max_pose * w + c.max_bias).max(axis=1))
        return v

