"""Imported real sets (bridge.data) as training material: pooled eye crops and face crops with per-kind labels.

Every label kind stays NaN where a sample lacks it, so each loss term is masked per sample. Sources are sampled
with fixed weights per batch (a big set such as MRL must not drown the small close-up sets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from bridge.data.shards import MANIFEST, RealSplit, load_set

# Sampling weight of each source inside its pool (renormalised over the sources present).
EYE_WEIGHTS = {"mrl": 0.45, "mrl-pupil": 0.15, "itmo": 0.3, "mmu": 0.1, "smile-eyes": 0.25}
FACE_WEIGHTS = {"ferplus": 0.0, "smile": 0.45, "yawn": 0.55}  # FER+ is sampled separately (its own batch part)
EYE_KINDS = ("closed", "pupil", "visible", "aperture", "side")
FACE_KINDS = ("fer8", "smile", "mouth_open", "yawn")


@dataclass
class Pool:
    """Concatenated samples of several sets of one view, resized to the model size."""

    images: np.ndarray  # (N, S, S) uint8
    labels: dict[str, np.ndarray]
    source: np.ndarray  # (N,) index into ``names``
    group: np.ndarray  # (N,) person (per source) x state group id, for same-person pairs
    names: list[str]
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def sample(self, n: int, g: torch.Generator) -> np.ndarray:
        """``n`` indices: a source by weight, then a uniform sample inside it."""
        src = torch.multinomial(torch.from_numpy(self.weights).float(), n, replacement=True, generator=g).numpy()
        out = np.empty(n, np.int64)
        for s in np.unique(src):
            members = self._members[s]
            k = int((src == s).sum())
            out[src == s] = members[torch.randint(len(members), (k,), generator=g).numpy()]
        return out

    def partner(self, idx: np.ndarray, g: torch.Generator) -> np.ndarray:
        """For each index another sample of the same person and label state (an eye pair of one person)."""
        order, starts, counts = self._groups
        gi = self.group[idx]
        r = torch.rand(len(idx), generator=g).numpy()
        return order[starts[gi] + np.minimum((r * counts[gi]).astype(np.int64), counts[gi] - 1)]

    def finish(self, weights: dict[str, float]) -> Pool:
        w = np.array([weights.get(n, 0.0) if (self.source == i).any() else 0.0 for i, n in enumerate(self.names)])
        self.weights = w / w.sum() if w.sum() > 0 else w
        self._members = {i: np.flatnonzero(self.source == i) for i in range(len(self.names))}
        order = np.argsort(self.group, kind="stable")
        counts = np.bincount(self.group, minlength=int(self.group.max()) + 1 if len(self.group) else 0)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self._groups = (order, starts, counts)
        return self


@dataclass
class RealData:
    """Everything imported under one folder, for one split."""

    eyes: Pool | None
    faces: Pool | None
    ferplus: Pool | None
    manifests: dict[str, dict]

    @property
    def empty(self) -> bool:
        return self.eyes is None and self.faces is None and self.ferplus is None


def find_sets(root: Path) -> dict[str, Path]:
    """kind -> folder for every imported set directly under ``root`` (or ``root`` itself)."""
    root = Path(root)
    cands = [root] if (root / MANIFEST).exists() else sorted(p for p in root.iterdir() if (p / MANIFEST).exists())
    out = {}
    import json

    for p in cands:
        kind = json.loads((p / MANIFEST).read_text())["kind"]
        out[kind] = p
    return out


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    if images.shape[1] == size:
        return images
    interp = cv2.INTER_AREA if images.shape[1] > size else cv2.INTER_LINEAR
    return np.stack([cv2.resize(im, (size, size), interpolation=interp) for im in images])


def _pool(parts: list[tuple[str, RealSplit]], kinds: tuple[str, ...], size: int, weights: dict) -> Pool | None:
    if not parts:
        return None
    names = [n for n, _ in parts]
    imgs, src, grp, labels = [], [], [], {k: [] for k in kinds}
    next_group = 0
    for i, (_, sp) in enumerate(parts):
        imgs.append(_resize(sp.images, size))
        src.append(np.full(len(sp), i, np.int32))
        state = np.nan_to_num(sp.labels["closed"], nan=2).astype(np.int64) if "closed" in sp.labels else 0
        key = sp.person.astype(np.int64) * 4 + state
        _, inv = np.unique(key, return_inverse=True)
        grp.append(inv.reshape(-1) + next_group)
        next_group += int(inv.max()) + 1 if len(inv) else 0
        for k in kinds:
            if k in sp.labels:
                labels[k].append(sp.labels[k].astype(np.float32))
            else:
                shape = (len(sp), 2) if k == "pupil" else (len(sp), 8) if k == "fer8" else (len(sp),)
                labels[k].append(np.full(shape, np.nan if k != "side" else -1, np.float32))
    return Pool(np.concatenate(imgs), {k: np.concatenate(v) for k, v in labels.items()}, np.concatenate(src),
                np.concatenate(grp), names).finish(weights)


def load_real(root: Path | None, split: str, size: int, log=print) -> RealData:
    """Pool the imported sets under ``root`` for ``split`` (sets marked evaluation-only are left out)."""
    if root is None or not Path(root).exists():
        return RealData(None, None, None, {})
    eyes, faces, fer, manifests = [], [], [], {}
    for kind, folder in find_sets(Path(root)).items():
        rs = load_set(folder, (split,))
        if not rs.manifest.get("train", True) or split not in rs.splits:
            continue
        manifests[kind] = rs.manifest
        sp = rs.splits[split]
        if rs.manifest["view"] == "eye":
            eyes.append((kind, sp))
        elif kind == "ferplus":
            fer.append((kind, sp))
        else:
            faces.append((kind, sp))
        log(f"real {split}: {kind} {len(sp)} images ({', '.join(sorted(sp.labels))})")
    return RealData(_pool(eyes, EYE_KINDS, size, EYE_WEIGHTS), _pool(faces, FACE_KINDS, size, FACE_WEIGHTS),
                    _pool(fer, FACE_KINDS, size, {"ferplus": 1.0}), manifests)


def evaluation_only_sets(root: Path | None) -> dict[str, dict]:
    """Manifests of the imported sets under ``root`` marked evaluation-only: never trained on, but named on the
    model card beside the training sources."""
    if root is None or not Path(root).exists():
        return {}
    manifests = {kind: load_set(folder, ()).manifest for kind, folder in find_sets(Path(root)).items()}
    return {kind: m for kind, m in manifests.items() if not m.get("train", True)}


def mouth_crop(faces: torch.Tensor) -> torch.Tensor:
    """From face-aligned crops (B, 1, S, S) the mouth region as a close-up (B, 1, S, S): a stand-in for the headset
    mouth camera (centre 50 % across, 76 % down, half the face wide)."""
    b, _, s, _ = faces.shape
    theta = torch.tensor([[0.5, 0.0, 0.0], [0.0, 0.5, 0.52]]).expand(b, 2, 3)
    grid = torch.nn.functional.affine_grid(theta, [b, 1, s, s], align_corners=False)
    return torch.nn.functional.grid_sample(faces, grid, mode="bilinear", padding_mode="border", align_corners=False)
