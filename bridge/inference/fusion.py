"""Fusion of the available 8-class emotion distributions into one (calibrated log-linear pooling).

    log p_fused(c) = b_c + sum_s w_s * log p_s(c)   (then renormalised; s over the sources PRESENT in this frame)

``w_s`` >= 0 is the calibrated trust in source s (eyes, mouth, lower_face, shapes) and ``b`` a per-class bias; both
are fit at training time by minimising the negative log-likelihood of the true FER+ label on the VALIDATION
identities, with random subsets of sources dropped so the weights also work when a camera is missing
(bridge/training/calibrate.py). A weight > 1 sharpens a source, < 1 flattens it (temperature scaling per source);
a missing source simply drops out of the sum. Weights live in bridge/models/fusion.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.inference.spec import EMOTION_SOURCES
from bridge.schema import FER8

_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class FusionWeights:
    weights: dict[str, float]
    bias: np.ndarray  # (8,)

    @staticmethod
    def uniform() -> FusionWeights:
        """Plain product of experts (used when no calibration file exists)."""
        return FusionWeights({s: 1.0 for s in EMOTION_SOURCES}, np.zeros(len(FER8), np.float32))

    @staticmethod
    def load(path: Path) -> FusionWeights:
        """Read fusion.json; a malformed file raises ValueError naming the file and the key."""
        try:
            data = json.loads(Path(path).read_text())
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            bias = np.asarray(data["bias"], np.float32)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a valid fusion file ({exc}); re-run `facebridge train`") from exc
        if bias.shape != (len(FER8),):
            raise ValueError(f"{path}: 'bias' must have {len(FER8)} values, got {bias.shape}")
        return FusionWeights(weights, bias)

    def to_json(self) -> dict:
        return {"method": "log-linear pooling", "sources": list(EMOTION_SOURCES), "classes": list(FER8),
                "weights": {k: round(float(v), 6) for k, v in self.weights.items()},
                "bias": [round(float(b), 6) for b in self.bias]}


def fuse(sources: dict[str, np.ndarray], weights: FusionWeights) -> np.ndarray | None:
    """Fused (8,) distribution from the present sources (each (8,) or batched (N, 8)); None when there are none."""
    present = [s for s in sources if s in weights.weights]
    if not present:
        return None
    logit = weights.bias.astype(np.float64)
    for s in present:
        logit = logit + weights.weights[s] * np.log(np.asarray(sources[s], np.float64) + _EPS)
    logit = logit - logit.max(axis=-1, keepdims=True)
    p = np.exp(logit)
    return (p / p.sum(axis=-1, keepdims=True)).astype(np.float32)
