"""`facebridge eval --out DIR [--quick]`: the shipped models on held-out synthetic identities -> report.md/json."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

TRAIN_DATA = Path("runs/train/data")  # the full training run's dataset: its TEST split is held out
QUICK_DATA = Path("runs/eval_quick_data")
HELD_OUT_DATA = Path("runs/eval_data")
EVAL_SEED = 777_000  # a seed no training run uses: every identity it draws is new


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="folder for report.md, report.json and confusion PNGs")
    parser.add_argument("--quick", action="store_true", help="a small freshly rendered held-out set (< 1 min)")
    parser.add_argument("--models", default=None, help="folder with the ONNX files (default: the shipped models)")
    parser.add_argument("--data", default=None,
                        help="dataset folder to evaluate on. Default: the test split of runs/train/data when it "
                             "exists, else a held-out set rendered with a seed no training uses")
    parser.add_argument("--split", default=None, choices=("train", "val", "test", "all"),
                        help="which split of --data (default: test for the training dataset, all for a held-out set)")
    parser.add_argument("--workers", type=int, default=2, help="render processes when a set must be rendered")
    parser.add_argument("--real", default=None, metavar="DIR",
                        help="score on labelled REAL images instead: an imported set (facebridge data import), a "
                             "folder of imported sets, or class folders (open/ + closed/, or FER8 emotion names)")
    parser.add_argument("--framing", default="auto", choices=("auto", "detect", "as-given"),
                        help="class folders of face photos: 'auto' (default) frames each photo from the face "
                             "detector's box like the webcam layout, unless it already is a face crop or shows no "
                             "face; 'detect' always crops around a found face; 'as-given' feeds the photos unchanged")
    parser.add_argument("--real-split", default="val", choices=("train", "val", "test"),
                        help="which split of imported sets --real scores (default val: the validation persons)")


def main(args: argparse.Namespace) -> int:
    from bridge.evaluation.dataset import HELD_OUT_PLAN, QUICK_PLAN, read_split, render_held_out
    from bridge.evaluation.evaluate import evaluate
    from bridge.evaluation.report import REQUIRED_KEYS, lookup, write_report
    from bridge.inference.onnx_models import OnnxFaceModels

    t0 = time.time()
    try:
        models = OnnxFaceModels.load(args.models)
    except (FileNotFoundError, ValueError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    if args.real:
        return _main_real(models, args, t0)
    if args.data:
        data_dir, split = Path(args.data), args.split or "test"
    elif args.quick:
        data_dir, split = render_held_out(QUICK_DATA, QUICK_PLAN, EVAL_SEED + 1, args.workers), args.split or "all"
    elif (TRAIN_DATA / "manifest.json").exists():
        data_dir, split = TRAIN_DATA, args.split or "test"
    else:
        data_dir, split = render_held_out(HELD_OUT_DATA, HELD_OUT_PLAN, EVAL_SEED, args.workers), args.split or "all"
    try:
        data = read_split(data_dir, split, models.size)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        print(f"eval: cannot read {split!r} split of {data_dir}: {exc}", file=sys.stderr)
        return 2
    print(f"eval: {len(data)} frames ({split} split of {data_dir})", flush=True)
    rep = evaluate(models, data, latency_frames=300 if args.quick else 2000)
    rep["data"] |= {"dataset": str(data_dir), "split": split, "models": str(models.model_dir)}
    out = Path(args.out)
    title = "FaceBridge model evaluation" + (" (quick)" if args.quick else "")
    write_report(rep, out, title)
    for k in REQUIRED_KEYS:
        print(f"  {k:48s} {lookup(rep, k):.4f}")
    print(f"eval: wrote {out / 'report.md'} and {out / 'report.json'} in {time.time() - t0:.0f} s")
    return 0


def _main_real(models, args: argparse.Namespace, t0: float) -> int:
    from bridge.evaluation.real import RealSetError, evaluate_real

    try:
        rep = evaluate_real(models, Path(args.real), Path(args.out), args.real_split, framing=args.framing)
    except (RealSetError, FileNotFoundError, OSError) as exc:
        print(f"eval --real: {exc}", file=sys.stderr)
        return 2
    for key, s in rep["sets"].items():
        for block in ("open_closed", "visible_iris", "fer8", "mouth_shapes", "eyes_from_face"):
            if block in s:
                vals = {k: v for k, v in s[block].items() if k != "per_class"}
                print(f"  {key} {block}: " + ", ".join(f"{k} {v}" for k, v in vals.items()))
    print(f"eval --real: wrote {Path(args.out) / 'report.md'} and report.json in {time.time() - t0:.0f} s")
    return 0
