"""`facebridge train [--out DIR] [--quick]`: render/reuse data, train every model, export ONNX, write the card."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/train", help="working folder: dataset, crops, checkpoints, logs "
                                                            "(default runs/train; re-running resumes)")
    parser.add_argument("--quick", action="store_true",
                        help="small data and few epochs (minutes); writes models to OUT/models unless --models-dir")
    parser.add_argument("--models-dir", default=None,
                        help="where the ONNX files and model card go (default: bridge/models; OUT/models with --quick)")
    parser.add_argument("--data", default=None, help="an existing synthetic dataset folder to use instead of OUT/data")
    parser.add_argument("--workers", type=int, default=2, help="render processes for the dataset (default 2)")
    parser.add_argument("--identities", type=int, default=None, help="override the plan's number of identities")
    parser.add_argument("--seconds", type=float, default=None, help="override the plan's seconds per session")
    parser.add_argument("--size", type=int, default=None, help="override the input resolution (default 48)")
    parser.add_argument("--width", type=int, default=None, help="override the network width (default 8)")
    parser.add_argument("--seed", type=int, default=None,
                        help="override the training seed (weight init, batch order, augmentation; default 7)")
    parser.add_argument("--real", default=None,
                        help="folder of imported real sets (`facebridge data import ... --out REAL/<kind>`); "
                             "without it the models are trained on synthetic renders only")
    parser.add_argument("--only", default=None,
                        help="comma list of image models to train now (blendshapes, eyemotion, mouth8, lower_face8, "
                             "lower_face8_teacher): "
                             "checkpoints only, so two processes can share the machine; then run without --only")
    parser.add_argument("--blendshapes-from", nargs="+", default=None, metavar="CKPT",
                        help="saved per-epoch blendshape checkpoints (OUT/ckpt/epochs/blendshapes_e*.pt, which "
                             "training keeps): ship the mean of those within 0.003 of the best validation score "
                             "(the training rule, bridge/training/selection.py), refit its openness readout on the "
                             "real eye apertures (with --real; bridge/training/openness.py), re-fit its output "
                             "calibration on validation, export blendshapes.onnx, re-evaluate on the test split "
                             "and rewrite the model card; the other models stay as they are")
    parser.add_argument("--lower-face-teacher-width", type=int, default=None, metavar="W",
                        help="lower-face distillation: train a full-face teacher of this width (stage "
                             "lower_face8_teacher) and distil it into the lower-half student; 0 = off "
                             "(default: the plan's)")
    parser.add_argument("--lower-face-kd-weight", type=float, default=None, metavar="W",
                        help="weight of the distillation term beside the FER+ soft-vote CE (default: the plan's)")
    parser.add_argument("--lower-face-kd-temperature", type=float, default=None, metavar="T",
                        help="distillation temperature (default: the plan's)")
    parser.add_argument("--epoch-scale", type=float, default=1.0, help="multiply every epoch count (min 1)")


def main(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        print("train: needs torch; install the extra: pip install -e '.[train]'", file=sys.stderr)
        return 2
    from dataclasses import replace

    from bridge.training.pipeline import TrainPlan, train_all
    from bridge.training.publish import publish

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plan = TrainPlan.quick() if args.quick else TrainPlan.full()
    overrides = {k: getattr(args, k) for k in ("identities", "seconds", "size", "width", "seed")
                 if getattr(args, k) is not None}
    for key in ("lower_face_teacher_width", "lower_face_kd_weight", "lower_face_kd_temperature"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    if args.epoch_scale != 1.0:
        overrides["epochs"] = {k: max(1, round(v * args.epoch_scale)) for k, v in plan.epochs.items()}
    if args.real:
        if not Path(args.real).is_dir():
            print(f"train: --real {args.real} is not a folder; import the approved sets first (docs/data.md)",
                  file=sys.stderr)
            return 2
        overrides["real_dir"] = str(Path(args.real).resolve())
    plan = replace(plan, **overrides)
    default_models = out / "models" if args.quick else Path(__file__).resolve().parent.parent / "models"
    models_dir = Path(args.models_dir) if args.models_dir else default_models
    log_path = out / "train.log"

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(log_path, "a") as fh:
            fh.write(line + "\n")

    log(f"plan: {plan}")
    if args.blendshapes_from:
        from bridge.training.pipeline import export_blendshapes
        from bridge.training.publish import republish_blendshapes

        try:
            result = export_blendshapes(out, models_dir, plan, [Path(p) for p in args.blendshapes_from], log)
        except ValueError as exc:
            print(f"train: {exc}", file=sys.stderr)
            return 2
        republish_blendshapes(out, models_dir, plan, result, log)
        return 0
    only = tuple(k.strip() for k in args.only.split(",") if k.strip()) if args.only else None
    try:
        result = train_all(out, models_dir, plan, Path(args.data) if args.data else None, args.workers, log, only)
    except ValueError as exc:
        print(f"train: {exc}", file=sys.stderr)
        return 2
    if result.get("partial"):
        log(f"trained {', '.join(result['only'])} (checkpoints in {out / 'ckpt'}); run again without --only to "
            "finish, export and evaluate")
        return 0
    publish(out, models_dir, plan, result, log)
    log(f"done in {result['seconds']:.0f} s of training; models in {models_dir}")
    return 0
