"""`facebridge infer`: run the models on image files (any size/aspect, gray or colour) and write one CSV row each.

The images go through the live pipeline's preprocessing (bridge/inference/preprocess.py). Unreadable files are
reported on stderr and skipped; the exit status is 0 when at least one image was processed.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys
from pathlib import Path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files, folders (searched recursively) or globs")
    parser.add_argument("--camera", required=True, choices=("eye", "mouth", "lower_face"),
                        help="eye = one eye camera frame; mouth = headset mouth camera; lower_face = face image with "
                             "the upper half hidden (external camera, person wearing a headset)")
    parser.add_argument("--side", choices=("left", "right"), default="left",
                        help="which eye an --camera eye image shows (the subject's own side; default left)")
    parser.add_argument("--out", required=True, help="CSV file to write (parent folders are created)")
    parser.add_argument("--models", default=None, help="folder with the ONNX files (default: the shipped models)")


def expand_paths(paths: list[str]) -> list[Path]:
    """Files, folders (recursive, image suffixes only) and glob patterns -> sorted unique file list, in order given."""
    out: list[Path] = []
    for p in paths:
        matches = sorted(glob.glob(p, recursive=True)) if glob.has_magic(p) else [p]
        if glob.has_magic(p) and not matches:
            print(f"infer: no file matches {p!r}", file=sys.stderr)
        for m in matches:
            mp = Path(m)
            if mp.is_dir():
                out += sorted(f for f in mp.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
            else:
                out.append(mp)
    return list(dict.fromkeys(out))  # unique, in order


def read_image(path: Path):
    """The image as a numpy array, or None with a reason when it cannot be read."""
    import cv2
    import numpy as np

    if not path.exists():
        return None, "no such file"
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        return None, str(exc)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        return None, "not a readable image (corrupt or unsupported format)"
    return img, ""


def main(args: argparse.Namespace) -> int:
    from bridge.inference.onnx_models import OnnxFaceModels
    from bridge.inference.rows import infer_row, row_columns

    try:
        models = OnnxFaceModels.load(args.models)
    except (FileNotFoundError, ValueError) as exc:
        print(f"infer: {exc}", file=sys.stderr)
        return 2
    files = expand_paths(args.paths)
    if not files:
        print("infer: no image files found in the given paths", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = row_columns(args.camera, args.side)
    done = skipped = 0
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for f in files:
            img, why = read_image(f)
            if img is None:
                print(f"infer: skipping {f}: {why}", file=sys.stderr)
                skipped += 1
                continue
            try:
                row = infer_row(models, img, args.camera, args.side)
            except ValueError as exc:  # e.g. a 1-pixel image or an unsupported pixel type
                print(f"infer: skipping {f}: {exc}", file=sys.stderr)
                skipped += 1
                continue
            writer.writerow({"file": os.fspath(f), **{k: f"{v:.6g}" if isinstance(v, float) else v
                                                      for k, v in row.items()}})
            done += 1
    print(f"infer: wrote {done} rows to {out}" + (f", skipped {skipped} unreadable files" if skipped else ""))
    return 0 if done else 1
