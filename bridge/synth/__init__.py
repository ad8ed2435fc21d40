"""The synthetic IR headset: identities, sessions, a vectorized renderer of the 4 camera views,
performances with exact labels, dataset shards and a live source (see docs/synth.md).

Names are imported lazily so that `facebridge synth --help` (which imports bridge.synth.cli) stays light.
"""

from __future__ import annotations

import importlib

GENERATOR_VERSION = "facebridge-synth-6"  # 6: face-aligned external lower_face framing

_EXPORTS = {
    "Identity": "bridge.synth.identity",
    "SessionConditions": "bridge.synth.identity",
    "sample_identity": "bridge.synth.identity",
    "sample_session": "bridge.synth.identity",
    "HeadsetRenderer": "bridge.synth.renderer",
    "DEVICE_SIZES": "bridge.synth.renderer",
    "MODEL_SIZE": "bridge.synth.renderer",
}

__all__ = ["GENERATOR_VERSION", *sorted(_EXPORTS)]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bridge.synth' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
