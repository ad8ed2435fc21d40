"""The validated, immutable form of a preset (what a TOML file means), independent of how it is evaluated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from retarget.rigs import RIGS, RigProfile

EASES: tuple[str, ...] = ("linear", "ease_in", "ease_out", "smoothstep")
TERM_OPS: tuple[str, ...] = ("max", "min", "product")
BLEND_MODES: tuple[str, ...] = ("add", "override", "max")
EMOTION_MODES: tuple[str, ...] = ("continuous", "discrete")

Weights = tuple[tuple[str, float], ...]  # ((input channel, weight), ...)


class PresetError(ValueError):
    """A preset could not be loaded. ``problems`` lists every problem, each naming file, line and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = f"{len(self.problems)} problem" + ("s" if len(self.problems) != 1 else "")
        super().__init__(f"invalid preset ({count}):\n  " + "\n  ".join(self.problems))


@dataclass(frozen=True)
class LightCue:
    """A lighting cue: colour 0..1 per channel, intensity 0..1, and how long the receiver should fade to it."""

    r: float
    g: float
    b: float
    intensity: float = 1.0
    transition_s: float = 0.5


@dataclass(frozen=True)
class Curve:
    """Per-target response curve, applied in this order to the mapped value v (sign kept for signed targets):
    dead zone on |v| (rescaled so the curve stays continuous), gamma, ease, then ``gain * v + offset``, then clamp."""

    gain: float = 1.0
    offset: float = 0.0
    gamma: float = 1.0
    ease: str = "linear"
    dead_zone: float = 0.0
    clamp: tuple[float, float] | None = None  # None = the rig's range

    def is_identity(self) -> bool:
        return self == Curve()


@dataclass(frozen=True)
class Term:
    """A combination term: ``weight * op(w1*x1, w2*x2, ...)`` with op in max/min/product."""

    op: str
    sources: Weights
    weight: float = 1.0


@dataclass(frozen=True)
class TargetMapping:
    """How one rig target is computed: weighted sum of inputs plus combination terms, then the curve."""

    target: str
    sum: Weights = ()
    terms: tuple[Term, ...] = ()
    curve: Curve = field(default_factory=Curve)


@dataclass(frozen=True)
class EmotionPose:
    """What one emotion does to the rig: a pose (target -> value) applied with a blend mode, and a light cue.

    Custom (non-FER+) emotions carry an ``activation``: a weighted sum of input channels, clipped to 0..1,
    that plays the role of their probability."""

    emotion: str
    blend: str = "max"
    pose: tuple[tuple[str, float], ...] = ()
    light: LightCue | None = None
    activation: Weights = ()


@dataclass(frozen=True)
class EmotionSettings:
    """Continuous mode weights each pose by its probability; discrete mode shows only the winner's pose.

    Discrete: a challenger replaces the current winner only when its probability exceeds the winner's by
    ``hysteresis`` and is at least ``min_probability``, and the winner has been held ``min_hold_s``;
    the change cross-fades over ``crossfade_s``."""

    mode: str = "continuous"
    hysteresis: float = 0.15
    min_probability: float = 0.0
    min_hold_s: float = 0.25
    crossfade_s: float = 0.3
    poses: tuple[EmotionPose, ...] = ()


@dataclass(frozen=True)
class PresetMeta:
    name: str
    author: str = ""
    version: str = "1"
    description: str = ""


@dataclass(frozen=True)
class Preset:
    """A complete, validated preset. Build with ``load_preset`` / ``parse_preset``; never half-valid."""

    meta: PresetMeta
    rig: str
    targets: tuple[TargetMapping, ...]
    eyes: str = "independent"
    mirror: bool = False
    emotions: EmotionSettings = field(default_factory=EmotionSettings)
    source: Path | None = None  # the file it was read from (None for built-in/in-memory)

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def rig_profile(self) -> RigProfile:
        return RIGS[self.rig]

    def target_names(self) -> tuple[str, ...]:
        """Names this preset drives (mapped targets and emotion-pose targets), in the rig's order."""
        used = {t.target for t in self.targets} | {n for p in self.emotions.poses for n, _ in p.pose}
        return tuple(n for n in self.rig_profile.names if n in used)

    def mapping(self, target: str) -> TargetMapping | None:
        """The mapping of one target, or None if the preset does not map it."""
        return next((t for t in self.targets if t.target == target), None)
