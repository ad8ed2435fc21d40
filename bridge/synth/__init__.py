"""The synthetic IR headset: identities, sessions, a vectorized renderer of the 4 camera views,
performances with exact labels, dataset shards and a live source (see docs/synth.md)."""

from bridge.synth.identity import Identity, SessionConditions, sample_identity, sample_session
from bridge.synth.renderer import DEVICE_SIZES, MODEL_SIZE, HeadsetRenderer

GENERATOR_VERSION = "facebridge-synth-5"

__all__ = [
    "DEVICE_SIZES",
    "GENERATOR_VERSION",
    "MODEL_SIZE",
    "HeadsetRenderer",
    "Identity",
    "SessionConditions",
    "sample_identity",
    "sample_session",
]
