"""Read synthetic datasets (bridge.synth.dataset) into model-resolution splits; render held-out sets for `eval`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bridge.evaluation.data import LABEL_KEYS, VIEWS, SplitData, build_split


@dataclass(frozen=True, slots=True)
class HeldOutPlan:
    identities: int
    seconds: float


QUICK_PLAN = HeldOutPlan(identities=3, seconds=24.0)  # ~2.2k frame sets: `eval --quick` stays under a minute
HELD_OUT_PLAN = HeldOutPlan(identities=8, seconds=84.0)  # one full collection session + one free session each


def read_split(data_dir: Path, split: str, size: int) -> SplitData:
    """One split ('train'/'val'/'test', or 'all') of a rendered dataset, cropped to ``size`` by the runtime policy."""
    from bridge.synth.dataset import load_dataset

    arrays = load_dataset(data_dir, split=None if split == "all" else split)
    if len(arrays["identity"]) == 0:
        raise ValueError(f"{data_dir}: the {split!r} split holds no frames (too few identities rendered?)")
    missing = [k for k in VIEWS + LABEL_KEYS if k not in arrays]
    if missing:
        raise KeyError(f"{data_dir}: dataset lacks {missing}; re-render it with the current `facebridge synth`")
    return build_split({v: arrays[v] for v in VIEWS}, {k: arrays[k] for k in LABEL_KEYS}, size)


def read_synth_splits(data_dir: Path, size: int) -> dict[str, SplitData]:
    """train / val / test (split by identity in the dataset's manifest)."""
    return {s: read_split(data_dir, s, size) for s in ("train", "val", "test")}


def render_held_out(data_dir: Path, plan: HeldOutPlan, seed: int, workers: int) -> Path:
    """Render (or reuse, when complete) a dataset whose identities come from a seed no training run uses."""
    from bridge.synth.dataset import write_dataset

    write_dataset(data_dir, identities=plan.identities, seconds=plan.seconds, seed=seed, workers=workers,
                  progress=True)
    return data_dir
