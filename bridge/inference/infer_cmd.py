"""`facebridge infer`: run the models on image files (any size/aspect, gray or colour) and write one CSV row each.

The images go through the live pipeline's preprocessing (bridge/inference/preprocess.py). ``--camera webcam`` runs
the live webcam layout's steps on each still: the face detector (biggest face), the FER-like face crop for the
lower-face model (emotion and mouth shapes); its rows have ``face_found`` (0: no face, the model
columns stay empty), the face box, ``p_<emotion>`` and the mouth shapes by their ARKit names. Unreadable files are
reported on stderr and skipped; the exit status is 0 when at least one image was processed.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys
from pathlib import Path

from bridge.argtypes import output_file_problem

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files, folders (searched recursively) or globs")
    parser.add_argument("--camera", required=True, choices=("eye", "mouth", "lower_face", "webcam"),
                        help="eye = one eye camera frame; mouth = headset mouth camera; lower_face = face image with "
                             "the upper half hidden (external camera, person wearing a headset); webcam = any photo "
                             "with a face in it (face detector, then the lower-face model)")
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
    problem = output_file_problem(out, "--out")
    if problem:
        print(f"infer: {problem}", file=sys.stderr)
        return 2
    if args.camera == "webcam":
        from bridge.sources.face_detector import FaceDetectorUnavailable, open_face_detector

        try:
            detector = open_face_detector()
        except FaceDetectorUnavailable as exc:
            print(f"infer: {exc}", file=sys.stderr)
            return 2
        header = webcam_columns()
    else:
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
                if args.camera == "webcam":
                    row = webcam_row(models, detector, img)
                else:
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


def webcam_columns() -> list[str]:
    """CSV columns of ``--camera webcam``."""
    from bridge.inference.rows import MOUTH_SHAPES
    from bridge.schema import BLENDSHAPE_NAMES, FER8

    return (["file", "face_found", "face_x", "face_y", "face_w", "face_h", "label"] + [f"p_{c}" for c in FER8]
            + [BLENDSHAPE_NAMES[i] for i in MOUTH_SHAPES] + ["confidence"])


def find_face(detector, gray):
    """The biggest face box in a still, or None. A photo cropped tight around the face (no background, as many
    face datasets are) gets a second try with its edges replicated outward: the detector needs some margin."""
    import cv2

    faces = list(detector(gray))
    if faces:
        return faces[0]
    pad = int(round(0.3 * max(gray.shape)))
    faces = list(detector(cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)))
    if not faces:
        return None
    x, y, w, h = faces[0]
    return x - pad, y - pad, w, h


def webcam_row(models, detector, image) -> dict:
    """One still through the webcam layout: the biggest face -> lower-face emotion + ARKit mouth shapes."""
    import numpy as np

    from bridge.inference.preprocess import crop_view, face_aligned_crop, to_gray_u8
    from bridge.inference.rows import MOUTH_SHAPES
    from bridge.inference.types import ModelInputs
    from bridge.schema import BLENDSHAPE_NAMES, FER8

    gray = to_gray_u8(image, "image")
    box = find_face(detector, gray)
    if box is None:
        return {"face_found": 0}
    # The webcam layout's one view: the lower-face model gives both emotion and mouth shapes (bridge/sources/webcam.py)
    inputs = {"lower_face": crop_view(face_aligned_crop(gray, box), "lower_face", models.size)}
    out = models.predict(ModelInputs(inputs))
    row: dict = {"face_found": 1, "face_x": round(box[0]), "face_y": round(box[1]), "face_w": round(box[2]),
                 "face_h": round(box[3])}
    probs = out.emotion8_sources.get("lower_face")
    if probs is not None:
        row["label"] = FER8[int(np.argmax(probs))]
        row |= {f"p_{c}": float(p) for c, p in zip(FER8, probs, strict=True)}
    if out.blendshapes is not None:
        row |= {BLENDSHAPE_NAMES[i]: float(out.blendshapes[i]) for i in MOUTH_SHAPES}
    row["confidence"] = float(out.confidence.get("lower_face", 0.0))
    return row
