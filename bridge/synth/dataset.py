"""Rendered datasets: one .npz shard per (identity, session) plus a manifest.json.

Deterministic for a seed: every shard's random stream is derived from (seed, identity, session) only, so
worker count and resume order never change the data. Resumable: shards are written atomically (tmp + rename)
and already-complete shards are skipped when the same command is run again on the same directory.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bridge.schema import AU10, BLENDSHAPE_NAMES, CAMERAS, EMOTIVE5, FER8
from bridge.synth.expressions import EXPRESSIONS
from bridge.synth.identity import sample_identity, sample_session
from bridge.synth.performance import (
    COLLECTION_ITEMS,
    FIELD_NAMES,
    GAP_SECONDS,
    HOLD_SECONDS,
    NEUTRAL_SECONDS,
    RAMP_SECONDS,
    collection_performance,
    free_performance,
)
from bridge.synth.renderer import HeadsetRenderer, validate_sizes

MANIFEST = "manifest.json"
RENDER_BATCH = 128
FREE_SESSION_SECONDS = 30.0
SPLIT_FRACTIONS = (("train", 0.8), ("val", 0.1), ("test", 0.1))


@dataclass
class DatasetManifest:
    """What a dataset directory holds (manifest.json)."""

    generator_version: str
    seed: int
    identities_count: int
    seconds_per_identity: float
    fps: float
    sizes: dict[str, list[int]]
    blendshapes: list[str]
    emotive5: list[str]
    au10: list[str]
    fer8: list[str]
    expressions: list[str]
    identities: list[dict] = field(default_factory=list)  # [{id, split}]
    shards: list[dict] = field(default_factory=list)  # [{file, identity, session, kind, frames}]
    complete: bool = False

    def to_json(self) -> str:
        """The manifest as indented JSON."""
        return json.dumps(asdict(self), indent=1)

    @staticmethod
    def read(path: Path) -> DatasetManifest:
        """Parse manifest.json; raises ValueError naming the file when it is not a FaceBridge manifest."""
        try:
            data = json.loads(Path(path).read_text())
            return DatasetManifest(**data)
        except (OSError, json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"{path}: not a readable FaceBridge dataset manifest ({exc}); re-render the dataset "
                             f"with `facebridge synth dataset --out DIR ...`") from None

    def split_of(self) -> dict[int, str]:
        """identity id -> 'train' | 'val' | 'test'."""
        return {int(d["id"]): d["split"] for d in self.identities}

    def same_job(self, other: DatasetManifest) -> bool:
        """True when ``other`` describes the same rendering job (so its shards can be reused on resume)."""
        keys = ("generator_version", "seed", "identities_count", "seconds_per_identity", "fps", "sizes")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


def assign_splits(n: int, seed: int) -> list[str]:
    """Split by IDENTITY (80/10/10, at least one val and test identity when n >= 3), deterministic for seed."""
    order = np.random.default_rng([seed, 7]).permutation(n)
    n_val = max(1, round(0.1 * n)) if n >= 3 else 0
    n_test = max(1, round(0.1 * n)) if n >= 3 else 0
    splits = [""] * n
    for rank, ident in enumerate(order):
        splits[ident] = "test" if rank < n_test else ("val" if rank < n_test + n_val else "train")
    return splits


def _collection_length(neutral: float, hold: float, items: int) -> float:
    return neutral + items * (2 * RAMP_SECONDS + hold + GAP_SECONDS)


def plan_sessions(seconds: float) -> list[dict]:
    """Sessions (= donnings) of one identity filling ``seconds``: collection and free sessions alternate.

    A collection session gets about half the remaining time (full length ~1 min); when that is shorter than a
    full session it performs a subset of the items (chosen per session from its own seed).
    """
    plan: list[dict] = []
    remaining = float(seconds)
    full = _collection_length(NEUTRAL_SECONDS, HOLD_SECONDS, len(COLLECTION_ITEMS))
    min_len = 0.5
    while remaining >= min_len:
        if len(plan) % 2 == 0:
            budget = remaining if remaining < 4.0 else min(full, max(0.5 * remaining, 4.0))
            neutral = min(NEUTRAL_SECONDS, 0.25 * budget)
            item_len = 2 * RAMP_SECONDS + HOLD_SECONDS + GAP_SECONDS
            n_items = int(min(len(COLLECTION_ITEMS), max(1, (budget - neutral + 1e-6) // item_len)))
            hold = HOLD_SECONDS if (budget - neutral) >= item_len else max(0.2, budget - neutral - 2 * RAMP_SECONDS
                                                                            - GAP_SECONDS)
            length = _collection_length(neutral, hold, n_items)
            plan.append({"kind": "collection", "neutral": neutral, "hold": hold, "items": n_items, "seconds": length})
        else:
            length = min(FREE_SESSION_SECONDS, remaining)
            plan.append({"kind": "free", "neutral": min(NEUTRAL_SECONDS, 0.2 * length), "seconds": length})
        remaining -= length
    return plan


def identity_attributes(seed: int, identity: int) -> dict[str, object]:
    """Appearance facts of one dataset identity worth slicing evaluations by (glasses, beards, mascara...)."""
    ident = sample_identity(np.random.default_rng([seed, identity]))
    return {
        "glasses": ident.glasses, "contact_lens": ident.contact_lens, "facial_hair": round(ident.facial_hair, 3),
        "mustache": round(ident.mustache, 3), "mascara": round(ident.mascara, 3),
        "skin_nir": round(ident.skin_nir, 3), "skin_visible": round(ident.skin_visible, 3),
    }


def _shard_name(identity: int, session: int) -> str:
    return f"id{identity:05d}_s{session:02d}.npz"


def render_shard(task: dict) -> dict:
    """Render one (identity, session) shard to disk; returns its manifest entry. Runs in worker processes."""
    import cv2

    cv2.setNumThreads(1)  # one process per core already; OpenCV threads would oversubscribe
    out_dir = Path(task["out_dir"])
    seed, ident_id, sess_id = task["seed"], task["identity"], task["session"]
    ident = sample_identity(np.random.default_rng([seed, ident_id]))
    rng = np.random.default_rng([seed, ident_id, sess_id + 1])
    sess = sample_session(rng, ident)
    plan = task["plan"]
    if plan["kind"] == "collection":
        items = tuple(COLLECTION_ITEMS)
        if plan["items"] < len(items):
            items = tuple(rng.choice(items, size=plan["items"], replace=False))
        perf = collection_performance(rng, fps=task["fps"], neutral_seconds=plan["neutral"], hold_seconds=plan["hold"],
                                      items=items)
    else:
        perf = free_performance(rng, seconds=plan["seconds"], fps=task["fps"], neutral_seconds=plan["neutral"])
    renderer = HeadsetRenderer({k: tuple(v) for k, v in task["sizes"].items()})
    n = len(perf)
    images = {v: np.empty((n,) + renderer.sizes[v], np.uint8) for v in renderer.views}
    for start in range(0, n, RENDER_BATCH):
        stop = min(n, start + RENDER_BATCH)
        batch = renderer.render_batch(ident, sess, perf.blendshapes[start:stop], perf.gaze[start:stop], rng)
        for v, arr in batch.items():
            images[v][start:stop] = arr
    arrays = dict(images)
    arrays.update(perf.arrays())
    arrays["identity"] = np.full(n, ident_id, np.int32)
    arrays["session"] = np.full(n, sess_id, np.int32)
    name = _shard_name(ident_id, sess_id)
    tmp = out_dir / (name + ".tmp.npz")
    np.savez(tmp, **arrays)  # type: ignore[arg-type]  # stubs: **kwds could hit allow_pickle
    os.replace(tmp, out_dir / name)
    return {"file": name, "identity": ident_id, "session": sess_id, "kind": plan["kind"], "frames": n}


def _write_manifest(out_dir: Path, manifest: DatasetManifest) -> None:
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(manifest.to_json())
    os.replace(tmp, out_dir / MANIFEST)


def write_dataset(
    out_dir: str | os.PathLike,
    identities: int,
    seconds: float,
    seed: int = 0,
    workers: int = 1,
    overwrite: bool = False,
    sizes: dict[str, tuple[int, int]] | None = None,
    progress: bool = True,
    fps: float = 30.0,
) -> DatasetManifest:
    """Render ``identities`` x ``seconds`` of performances into shards under ``out_dir``.

    Refuses a non-empty directory unless it holds an unfinished dataset of the same job (then resumes) or
    ``overwrite`` is set (then its shards and manifest are deleted first).
    """
    from bridge.synth import GENERATOR_VERSION

    if not isinstance(identities, int) or identities < 1:
        raise ValueError(f"identities must be a positive integer, got {identities!r}")
    if not (isinstance(seconds, int | float) and seconds > 0):
        raise ValueError(f"seconds must be > 0 (seconds of performance per identity), got {seconds!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    sizes = validate_sizes(sizes)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a directory; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    splits = assign_splits(identities, seed)
    manifest = DatasetManifest(
        generator_version=GENERATOR_VERSION, seed=int(seed), identities_count=identities,
        seconds_per_identity=float(seconds), fps=float(fps), sizes={v: list(hw) for v, hw in sizes.items()},
        blendshapes=list(BLENDSHAPE_NAMES), emotive5=list(EMOTIVE5), au10=list(AU10), fer8=list(FER8),
        expressions=list(EXPRESSIONS),
        identities=[{"id": i, "split": splits[i], **identity_attributes(seed, i)} for i in range(identities)],
    )
    existing = [p for p in out.iterdir()]
    done: dict[str, dict] = {}
    if existing:
        old = DatasetManifest.read(out / MANIFEST) if (out / MANIFEST).exists() else None
        if overwrite:
            for p in existing:
                if p.is_file() and (p.suffix == ".npz" or p.name.startswith(MANIFEST)):
                    p.unlink()
                elif p.exists():
                    raise ValueError(f"--overwrite only deletes dataset files; {p} is something else: remove it "
                                     f"or pick an empty --out directory")
        elif old is not None and old.same_job(manifest):
            done = {s["file"]: s for s in old.shards if (out / s["file"]).exists()}
            if old.complete and len(done) == len(old.shards):
                if progress:
                    print(f"{out}: dataset already complete ({len(old.shards)} shards)", file=sys.stderr)
                return old
        else:
            raise ValueError(f"{out} is not empty and does not hold an unfinished dataset of this same job; "
                             f"pass --overwrite (overwrite=True) to replace it or choose an empty directory")
    tasks = []
    plan = plan_sessions(seconds)
    for i in range(identities):
        for s, session_plan in enumerate(plan):
            if _shard_name(i, s) in done:
                continue
            tasks.append({"out_dir": str(out), "seed": int(seed), "identity": i, "session": s, "plan": session_plan,
                          "fps": float(fps), "sizes": {v: list(hw) for v, hw in sizes.items()}})
    manifest.shards = sorted(done.values(), key=lambda e: (e["identity"], e["session"]))
    _write_manifest(out, manifest)
    total = len(tasks) + len(done)
    if progress and done:
        print(f"resuming: {len(done)} of {total} shards already rendered", file=sys.stderr)
    t0 = time.perf_counter()
    frames = 0

    def record(entry: dict) -> None:
        nonlocal frames
        manifest.shards.append(entry)
        frames += entry["frames"]
        _write_manifest(out, manifest)  # after every shard: an interrupted run resumes from here
        if progress:
            rate = frames / max(time.perf_counter() - t0, 1e-6)
            print(f"\r{len(manifest.shards)}/{total} shards, {frames} frame sets, {rate:.0f} frame sets/s",
                  end="", file=sys.stderr, flush=True)

    if workers == 1 or len(tasks) <= 1:
        for task in tasks:
            record(render_shard(task))
    else:
        import multiprocessing as mp

        ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ctx.Pool(workers) as pool:
            for entry in pool.imap_unordered(render_shard, tasks):
                record(entry)
    if progress:
        print(file=sys.stderr)
    manifest.shards.sort(key=lambda e: (e["identity"], e["session"]))
    manifest.complete = True
    _write_manifest(out, manifest)
    return manifest


class DatasetArrays(dict):
    """dict view -> concatenated array, with the dataset's ``manifest`` attached."""

    manifest: DatasetManifest


def load_dataset(out_dir: str | os.PathLike, split: str | None = None,
                 views: tuple[str, ...] | list[str] | None = None) -> DatasetArrays:
    """Load (and concatenate) the shards of one split ('train'/'val'/'test', None = all).

    ``views`` limits which images are loaded (default: every rendered view); labels are always loaded.
    Returns a dict of arrays with ``.manifest``.
    """
    out = Path(out_dir)
    if not (out / MANIFEST).exists():
        raise FileNotFoundError(f"{out / MANIFEST} not found: render a dataset first with "
                                f"`facebridge synth dataset --out {out} ...`")
    manifest = DatasetManifest.read(out / MANIFEST)
    if split not in (None, "train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val', 'test' or None, got {split!r}")
    rendered = tuple(v for v in CAMERAS if v in manifest.sizes)
    if views is None:
        views = rendered
    for v in views:
        if v not in rendered:
            raise ValueError(f"view {v!r} was not rendered in {out} (it has {rendered})")
    split_of = manifest.split_of()
    keys = list(views) + list(FIELD_NAMES) + ["identity", "session"]
    parts: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for shard in manifest.shards:
        if split is not None and split_of[int(shard["identity"])] != split:
            continue
        path = out / shard["file"]
        try:
            with np.load(path) as z:
                for k in keys:
                    parts[k].append(z[k])
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path}: unreadable or incomplete shard ({exc}); delete it and rerun the same "
                             f"`facebridge synth dataset` command to re-render it") from None
    result = DatasetArrays()
    for k in keys:
        if parts[k]:
            result[k] = np.concatenate(parts[k])
        else:
            shape = (0,) + tuple(manifest.sizes[k]) if k in manifest.sizes else (0,)
            result[k] = np.zeros(shape, np.uint8)
    result.manifest = manifest
    return result
