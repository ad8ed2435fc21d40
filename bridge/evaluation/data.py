"""Synthetic datasets -> model-resolution arrays, split by identity, with per-session neutral means (no torch:
shared by training and evaluation).

Frames go through the runtime's crop policy (bridge.inference.preprocess) so training sees exactly what the live
pipeline and `infer` feed the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.inference.preprocess import crop_batch_u8

VIEWS: tuple[str, ...] = ("left_eye", "right_eye", "mouth", "lower_face")
LABEL_KEYS: tuple[str, ...] = ("blendshapes", "gaze", "openness", "emotive5", "au10", "fer8", "valence", "arousal",
                               "neutral_hold", "peak", "identity", "session", "time")


@dataclass(slots=True)
class SplitData:
    """One split at model resolution. ``views[v]`` is (N, S, S) uint8; ``labels[k]`` per frame;
    ``neutral[v]`` is (n_sessions, S, S) float32 0..1 (mean of the session's neutral-hold frames) for the eye views,
    indexed by ``session_index`` (N,)."""

    views: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    neutral: dict[str, np.ndarray]
    session_index: np.ndarray
    recording_keys: np.ndarray  # (n_sessions, 2) [identity, session] of each neutral row

    def __len__(self) -> int:
        return int(self.session_index.shape[0])

    def subset(self, idx: np.ndarray) -> SplitData:
        """Frames ``idx`` (the session table is kept whole)."""
        return SplitData({k: v[idx] for k, v in self.views.items()}, {k: v[idx] for k, v in self.labels.items()},
                         self.neutral, self.session_index[idx], self.recording_keys)


def neutral_means(eyes: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> tuple[dict, np.ndarray, np.ndarray]:
    """Per (identity, session) mean of the neutral-hold frames of each eye view (Eyemotion personalization).

    Sessions without neutral-hold frames fall back to their frames labelled emotive 'neutral', then to all frames.
    """
    keys = np.stack([labels["identity"].astype(np.int64), labels["session"].astype(np.int64)], 1)
    uniq, session_index = np.unique(keys, axis=0, return_inverse=True)
    session_index = session_index.reshape(-1)
    hold = labels["neutral_hold"].astype(bool)
    neutral_e5 = labels["emotive5"] == 0
    out: dict[str, np.ndarray] = {}
    for view, imgs in eyes.items():
        means = np.zeros((len(uniq),) + imgs.shape[1:], np.float32)
        for s in range(len(uniq)):
            in_s = session_index == s
            for mask in (in_s & hold, in_s & neutral_e5, in_s):
                if mask.any():
                    means[s] = imgs[mask].astype(np.float32).mean(0) / 255.0
                    break
        out[view] = means
    return out, session_index, uniq


def build_split(raw_views: dict[str, np.ndarray], raw_labels: dict[str, np.ndarray], size: int) -> SplitData:
    """Crop every view to ``size`` with the runtime policy and compute the neutral means.

    lower_face is stored WITHOUT the upper-half occlusion (training's first stage sees full faces); every consumer
    that feeds a model must hide it (``hide_upper_half``), as the runtime preprocess does.
    """
    views = {v: crop_batch_u8(raw_views[v], v, size, occlude=False) for v in VIEWS if v in raw_views}
    labels = {k: np.asarray(raw_labels[k]) for k in LABEL_KEYS if k in raw_labels}
    neutral, session_index, keys = neutral_means({v: views[v] for v in ("left_eye", "right_eye")}, labels)
    return SplitData(views, labels, neutral, session_index, keys)


def concat_splits(parts: list[SplitData]) -> SplitData:
    """Concatenate splits (session indices are re-based)."""
    views = {v: np.concatenate([p.views[v] for p in parts]) for v in parts[0].views}
    labels = {k: np.concatenate([p.labels[k] for p in parts]) for k in parts[0].labels}
    offs = np.cumsum([0] + [len(p.recording_keys) for p in parts[:-1]])
    session_index = np.concatenate([p.session_index + o for p, o in zip(parts, offs, strict=True)])
    neutral = {v: np.concatenate([p.neutral[v] for p in parts]) for v in parts[0].neutral}
    keys = np.concatenate([p.recording_keys for p in parts])
    return SplitData(views, labels, neutral, session_index, keys)


def save_split(split: SplitData, path: Path) -> None:
    """Cache a split as one .npz (uncompressed: fast to reload on resume)."""
    arrays = {f"view_{k}": v for k, v in split.views.items()}
    arrays |= {f"label_{k}": v for k, v in split.labels.items()}
    arrays |= {f"neutral_{k}": v for k, v in split.neutral.items()}
    arrays |= {"session_index": split.session_index, "recording_keys": split.recording_keys}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)  # type: ignore[arg-type]  # stubs: **kwds could hit allow_pickle
    tmp.replace(path)


def load_split(path: Path) -> SplitData:
    with np.load(path) as z:
        views = {k[5:]: z[k] for k in z.files if k.startswith("view_")}
        labels = {k[6:]: z[k] for k in z.files if k.startswith("label_")}
        neutral = {k[8:]: z[k] for k in z.files if k.startswith("neutral_")}
        return SplitData(views, labels, neutral, z["session_index"], z["recording_keys"])
