"""Retargeting: map the canonical face (bridge.schema.FaceState) onto avatar rigs with TOML presets.

Importable without the rest of the bridge (depends on numpy, bridge.schema and the stdlib-only bridge.validate)::

    from retarget import load_preset, Retargeter
    rt = Retargeter(load_preset("vrm1-basic"))
    frame = rt.apply(face_state)   # RetargetFrame: names, values, light, emotion
"""

from retarget.engine import Retargeter, RetargetFrame
from retarget.library import DEFAULT_PRESET, is_preset_file, load_preset, preset_path, shipped_names
from retarget.parse import parse_preset
from retarget.rigs import RIGS, RigProfile
from retarget.spec import (
    Curve,
    EmotionPose,
    EmotionSettings,
    LightCue,
    Preset,
    PresetError,
    PresetMeta,
    TargetMapping,
    Term,
)
from retarget.watch import PresetWatcher
from retarget.writer import dump_preset

__all__ = [
    "DEFAULT_PRESET", "RIGS", "Curve", "EmotionPose", "EmotionSettings", "LightCue", "Preset", "PresetError",
    "PresetMeta", "PresetWatcher", "RetargetFrame", "Retargeter", "RigProfile", "TargetMapping", "Term",
    "dump_preset", "is_preset_file", "load_preset", "parse_preset", "preset_path", "shipped_names",
]  # fmt: skip
