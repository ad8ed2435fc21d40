"""The normalized real-data format written by `facebridge data import` and read by training and `eval --real`.

A set folder holds ``manifest.json`` and one ``shard-<split>.npz`` per split (train / val / test). Every shard has
``images`` (N, S, S) uint8 gray crops (eye sets: the runtime's centre-square eye crop; face sets: a face-aligned
FER-like crop, upper half NOT hidden), ``person`` (N,) int32 index into the manifest's person list, ``file`` (N,)
source-relative paths, and one array per label kind. A set may add other views of every sample as
``view_<name>`` (N, S, S) uint8 arrays (custom_nir: ``view_left_eye`` / ``view_right_eye``, the subject's eyes cut from
the full-resolution frame). Missing labels are NaN (float kinds) or -1 (``expression``),
so one loss term per label kind can be masked per sample.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge.data.sources import SourceInfo

MANIFEST = "manifest.json"
SPLITS = ("train", "val", "test")
FORMAT_VERSION = 1

# label kind -> (per-sample shape, dtype, missing value, meaning)
LABEL_KINDS: dict[str, tuple[tuple[int, ...], str, float, str]] = {
    "closed": ((), "float32", math.nan, "1 = eye closed, 0 = open (MRL eye state; a visible pupil/iris = open)"),
    "pupil": ((2,), "float32", math.nan, "pupil centre (x, y) in the crop, 0..1 from the top-left"),
    "visible": ((), "float32", math.nan, "visible iris area / full iris disc (lid occlusion), 0..1"),
    "aperture": ((), "float32", math.nan, "visible eye area (eyelid landmark contour) / eye width^2: 0 closed, "
                 "~0.2 relaxed open"),
    "side": ((), "int8", -1, "0 = subject's left eye, 1 = right eye, -1 unknown"),
    "fer8": ((8,), "float32", math.nan, "FER8 vote distribution (soft label, sums to 1)"),
    "smile": ((), "float32", math.nan, "1 = smiling, 0 = not"),
    "mouth_open": ((), "float32", math.nan, "1 = mouth open, 0 = closed"),
    "yawn": ((), "float32", math.nan, "1 = yawning (wide-open mouth)"),
    "expression": ((), "int8", -1, "single FER8 class index (evaluation sets)"),
    "valence": ((), "float32", math.nan, "valence -1..1"),
    "arousal": ((), "float32", math.nan, "arousal -1..1"),
}


@dataclass
class Record:
    """One imported sample before it is written."""

    image: np.ndarray  # (S, S) uint8
    person: str
    file: str
    labels: dict[str, object]
    split: str | None = None  # forced split (the source's own split); None = by person
    views: dict[str, np.ndarray] = field(default_factory=dict)  # other crops of the sample, e.g. "left_eye"


@dataclass
class RealSplit:
    """One split of an imported set, in memory."""

    images: np.ndarray
    person: np.ndarray
    files: np.ndarray
    labels: dict[str, np.ndarray]
    views: dict[str, np.ndarray] = field(default_factory=dict)  # extra (N, S, S) crops per view name

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def has(self, kind: str) -> np.ndarray:
        """Boolean mask of samples that carry label ``kind``."""
        if kind not in self.labels:
            return np.zeros(len(self), bool)
        a = self.labels[kind]
        if a.dtype.kind == "f":
            return ~np.isnan(a.reshape(len(self), -1)).any(1)
        return a.reshape(len(self), -1)[:, 0] >= 0

    def subset(self, idx: np.ndarray) -> RealSplit:
        return RealSplit(self.images[idx], self.person[idx], self.files[idx],
                         {k: v[idx] for k, v in self.labels.items()}, {k: v[idx] for k, v in self.views.items()})


@dataclass
class RealSet:
    """An imported set: its manifest and the splits present."""

    manifest: dict
    splits: dict[str, RealSplit] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])


def person_split(persons: list[str], kind: str, val_fraction: float = 0.15, ensure_val: bool = True) -> dict[str, str]:
    """Deterministic person -> 'train'/'val' assignment (never by image): a person is in validation when the hash of
    (kind, person) falls below ``val_fraction``, so a subset of the same people (e.g. MRL pupil centres) gets the
    same assignment. With ``ensure_val`` and no person hashed into validation, the lowest hash is moved there."""
    uniq = sorted(set(persons))
    h = {p: (zlib.crc32(f"{kind}:{p}".encode()) % 100_000) / 100_000 for p in uniq}
    val = {p for p in uniq if h[p] < val_fraction}
    if ensure_val and not val and len(uniq) > 1:
        val = {min(uniq, key=h.__getitem__)}
    return {p: ("val" if p in val else "train") for p in uniq}


def write_set(out: Path, info: SourceInfo, records: list[Record], size: int, source_dir: Path, skipped: int,
              skipped_reasons: dict[str, int], val_fraction: float = 0.15, notes: str = "",
              split_key: str | None = None, extra: dict | None = None) -> dict:
    """Write shards + manifest for ``records``; returns the manifest. ``split_key`` seeds the person split (sets
    sharing people, e.g. MRL pupil centres and MRL, use the same key so a person is on the same side in both).
    ``extra`` adds importer facts to the manifest (e.g. how many images were turned upright)."""
    if not records:
        raise ValueError(f"{info.kind}: no usable samples found in {source_dir}")
    out.mkdir(parents=True, exist_ok=True)
    kinds = sorted({k for r in records for k in r.labels})
    view_names = sorted({v for r in records for v in r.views})
    partial = [v for v in view_names if not all(v in r.views for r in records)]
    if partial:
        raise ValueError(f"{info.kind}: views {partial} are missing on some samples (a view must be on every one)")
    unknown = [k for k in kinds if k not in LABEL_KINDS]
    if unknown:
        raise ValueError(f"{info.kind}: unknown label kinds {unknown}")
    free = [r.person for r in records if r.split is None]
    by_person = person_split(free, split_key or info.kind, val_fraction, ensure_val=split_key is None) if free else {}
    persons = sorted({r.person for r in records})
    pidx = {p: i for i, p in enumerate(persons)}
    split_of = [r.split or by_person[r.person] for r in records]
    counts: dict[str, dict] = {}
    for split in SPLITS:
        idx = [i for i, s in enumerate(split_of) if s == split]
        path = out / f"shard-{split}.npz"
        if not idx:
            path.unlink(missing_ok=True)
            continue
        arrays: dict[str, np.ndarray] = {"images": np.stack([records[i].image for i in idx]).astype(np.uint8),
                  "person": np.array([pidx[records[i].person] for i in idx], np.int32),
                  "files": np.array([records[i].file for i in idx])}
        for v in view_names:
            arrays[f"view_{v}"] = np.stack([records[i].views[v] for i in idx]).astype(np.uint8)
        for k in kinds:
            shape, dtype, missing, _ = LABEL_KINDS[k]
            a = np.full((len(idx),) + shape, missing, dtype)
            for j, i in enumerate(idx):
                if k in records[i].labels and records[i].labels[k] is not None:
                    a[j] = records[i].labels[k]
            arrays[f"label_{k}"] = a
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as allow_pickle
        tmp.replace(path)
        split_persons = sorted({records[i].person for i in idx})
        counts[split] = {"images": len(idx), "persons": len(split_persons),
                         "labels": {k: int(sum(1 for i in idx if records[i].labels.get(k) is not None))
                                    for k in kinds}}
        if split in ("val", "test") and len(split_persons) <= 64:
            counts[split]["person_ids"] = split_persons
    manifest = {"format": FORMAT_VERSION, "kind": info.kind, "name": info.name, "repo": info.repo,
                "commit": info.commit, "path": info.path, "licence": info.licence, "view": info.view,
                "use": info.use, "train": info.train, "size": size, "source_dir": str(source_dir),
                "label_kinds": {k: LABEL_KINDS[k][3] for k in kinds}, "views": view_names, "persons": persons,
                "split_rule": notes or "by person", "counts": counts,
                "total_images": len(records), "skipped": skipped, "skipped_reasons": skipped_reasons,
                **(extra or {})}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def load_set(folder: Path, splits: tuple[str, ...] = SPLITS) -> RealSet:
    """Read an imported set (only the requested splits that exist). Raises FileNotFoundError without a manifest."""
    folder = Path(folder)
    mpath = folder / MANIFEST
    if not mpath.exists():
        raise FileNotFoundError(f"{folder}: no {MANIFEST}; import the set first with `facebridge data import`")
    manifest = json.loads(mpath.read_text())
    out = RealSet(manifest)
    for split in splits:
        p = folder / f"shard-{split}.npz"
        if not p.exists():
            continue
        with np.load(p) as z:
            labels = {k[6:]: z[k] for k in z.files if k.startswith("label_")}
            views = {k[5:]: z[k] for k in z.files if k.startswith("view_")}
            out.splits[split] = RealSplit(z["images"], z["person"], z["files"], labels, views)
    return out
