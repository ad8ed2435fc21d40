"""Measure face detectors on real faces and calibrate the FER-like face framing (``face_aligned_crop``).

    python -m bridge.sources.face_bench --smile DIR --yawn DIR --fer DIR [--limit N] [--json FILE]

``--smile``: the smile-detection set (``annotations.csv`` + ``images/``, 68 landmarks per face). Its images are
tight face crops, so each is padded by 30 % of its size on every side (edge pixels replicated) to give the detector
the context a webcam frame has. A detection counts when the landmarks' centre lies inside the biggest box.
``--yawn``: the yawn_v5 set (``valid/`` and ``test/``: one image per source frame, no augmentation copies); a
detection counts when the labelled yawning mouth's centre lies in the lower part of the biggest box (rows 40-110 %)
and the box is 1.5-5 mouth widths wide. Smile: the landmarks' centre inside the box, its width 0.7-1.6x the face's.
``--fer``: FER+ images (48x48, the framing the lower-face model is trained on): the detector runs on each face
(padded, upscaled 4x) and the median box gives the box -> FER frame mapping; ``--smile``'s landmarks then show
where brows, eyes, mouth and chin land in that crop. Every figure is a median over the images; timings are
per frame at the detector's working width, on this machine (note its load).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bridge.sources.face_detector import HaarFaceDetector

VARIANTS: dict[str, dict[str, Any]] = {
    "alt2 (plain)": dict(cascade="haarcascade_frontalface_alt2.xml", equalize=False),
    "alt2 + equalised retry": dict(cascade="haarcascade_frontalface_alt2.xml", equalize=True),
    "default + equalised retry": dict(cascade="haarcascade_frontalface_default.xml", equalize=True),
    "alt + equalised retry": dict(cascade="haarcascade_frontalface_alt.xml", equalize=True),
}


def _gray(path: Path) -> np.ndarray | None:
    return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)


def load_smile(root: Path, limit: int) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    with open(root / "annotations.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            img = _gray(root / "images" / row["filename"])
            if img is None:
                continue
            pts = np.array([float(v) for v in row["points"].split(",")]).reshape(-1, 2)
            out.append((img, pts))
            if len(out) >= limit:
                break
    return out


def load_yawn(root: Path, limit: int) -> list[tuple[np.ndarray, tuple[float, float, float] | None]]:
    out = []
    for split in ("valid", "test"):
        for f in sorted((root / split / "images").glob("*.jpg")):
            img = _gray(f)
            if img is None:
                continue
            label = root / split / "labels" / (f.stem + ".txt")
            mouth = None
            if label.exists():
                parts = label.read_text().split()
                if len(parts) >= 5:
                    mouth = (float(parts[1]) * img.shape[1], float(parts[2]) * img.shape[0],
                             float(parts[3]) * img.shape[1])
            out.append((img, mouth))
            if len(out) >= limit:
                return out
    return out


def pad(img: np.ndarray, fraction: float) -> tuple[np.ndarray, int]:
    p = int(round(fraction * max(img.shape)))
    return cv2.copyMakeBorder(img, p, p, p, p, cv2.BORDER_REPLICATE), p


def detection_rates(detector, smile, yawn) -> dict:
    hits, times = 0, []
    for img, pts in smile:
        padded, p = pad(img, 0.3)
        t0 = time.perf_counter()
        faces = detector(padded)
        times.append((time.perf_counter() - t0) * 1e3)
        if faces:
            x, y, w, h = faces[0]
            cx, cy = pts.mean(axis=0) + p
            jaw = pts[16, 0] - pts[0, 0]  # face width at the ears: a box of 0.7-1.6x that is the face, not a part
            hits += x <= cx <= x + w and y <= cy <= y + h and 0.7 * jaw <= w <= 1.6 * jaw
    found = correct = labelled = 0
    ytimes = []
    for img, mouth in yawn:
        t0 = time.perf_counter()
        faces = detector(img)
        ytimes.append((time.perf_counter() - t0) * 1e3)
        found += bool(faces)
        if mouth is not None:
            labelled += 1
            if faces:
                x, y, w, h = faces[0]
                # a face is 1.5-5 yawning-mouth widths wide: smaller boxes are a part of the face or something else
                correct += (x <= mouth[0] <= x + w and y + 0.4 * h <= mouth[1] <= y + 1.1 * h
                            and 1.5 * mouth[2] <= w <= 5 * mouth[2])
    return {
        "smile_n": len(smile), "smile_rate": hits / max(1, len(smile)),
        "smile_ms_p50": statistics.median(times) if times else None,
        "yawn_n": len(yawn), "yawn_labelled": labelled, "yawn_found": found / max(1, len(yawn)),
        "yawn_rate": correct / max(1, labelled), "yawn_ms_p50": statistics.median(ytimes) if ytimes else None,
    }


def fer_framing(detector: HaarFaceDetector, root: Path, limit: int) -> dict:
    """Median box -> FER frame mapping: the frame's centre in box units and its side in box widths."""
    cxs, cys, sides, n = [], [], [], 0
    for f in sorted(root.glob("*.png"))[:limit]:
        img = _gray(f)
        if img is None:
            continue
        n += 1
        padded, p = pad(img, 0.5)
        big = cv2.resize(padded, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
        faces = detector(big)
        if not faces:
            continue
        x, y, w, h = (v / 4 for v in faces[0])
        x, y = x - p, y - p
        cxs.append((img.shape[1] / 2 - x) / w)
        cys.append((img.shape[0] / 2 - y) / h)
        sides.append(img.shape[1] / w)
    return {"fer_n": n, "fer_detected": len(sides), "centre_x": float(statistics.median(cxs)),
            "centre_y": float(statistics.median(cys)), "side": float(statistics.median(sides)),
            "side_p25_p75": [float(np.percentile(sides, 25)), float(np.percentile(sides, 75))]}


def landmark_check(detector: HaarFaceDetector, smile) -> dict:
    """Where the 68 landmarks land in the face_aligned_crop frame (fractions of the side), and the mouth's
    position and width in box units (for the webcam's mouth view)."""
    from bridge.inference.preprocess import face_aligned_square

    rows: dict[str, list[float]] = {k: [] for k in ("brow_top", "eye_line", "nose_tip", "mouth_centre", "chin",
                                                     "jaw_left", "jaw_right", "mouth_cx_box", "mouth_cy_box",
                                                     "mouth_w_box")}
    for img, pts in smile:
        padded, p = pad(img, 0.3)
        faces = detector(padded)
        if not faces:
            continue
        x, y, w, h = faces[0]
        q = pts + p
        jaw = q[16, 0] - q[0, 0]
        if not (x <= q[:, 0].mean() <= x + w and y <= q[:, 1].mean() <= y + h and 0.7 * jaw <= w <= 1.6 * jaw):
            continue
        cx, cy, side = face_aligned_square((x, y, w, h))
        top, left = cy - side / 2, cx - side / 2

        def fy(v: float, top: float = top, side: float = side) -> float:
            return (v - top) / side

        def fx(v: float, left: float = left, side: float = side) -> float:
            return (v - left) / side

        mouth = q[48:68].mean(axis=0)
        rows["brow_top"].append(fy(q[17:27, 1].min()))
        rows["eye_line"].append(fy(q[36:48, 1].mean()))
        rows["nose_tip"].append(fy(q[30, 1]))
        rows["mouth_centre"].append(fy(mouth[1]))
        rows["chin"].append(fy(q[8, 1]))
        rows["jaw_left"].append(fx(q[0, 0]))
        rows["jaw_right"].append(fx(q[16, 0]))
        rows["mouth_cx_box"].append((mouth[0] - x) / w)
        rows["mouth_cy_box"].append((mouth[1] - y) / h)
        rows["mouth_w_box"].append((q[54, 0] - q[48, 0]) / w)
    return {k: round(float(statistics.median(v)), 3) for k, v in rows.items() if v} | {"n": len(rows["chin"])}


def mouth_response(smile: list, smile_labels: list[tuple[int, int]], yawn: list) -> dict:
    """The shipped models through ``infer --camera webcam`` on real faces: jawOpen / mouthSmile by label.

    Smile set: ``mouth_open`` and ``smile`` labels; yawn set: a labelled yawn vs none. Medians of each group.
    """
    from bridge.inference.infer_cmd import webcam_row
    from bridge.inference.onnx_models import OnnxFaceModels

    models = OnnxFaceModels.load()
    detector = HaarFaceDetector()
    groups: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        groups.setdefault(key, []).append(value)

    found = 0
    for (img, _), (smiling, mouth_open) in zip(smile, smile_labels, strict=True):
        row = webcam_row(models, detector, img)
        if not row.get("face_found"):
            continue
        found += 1
        smile_value = (row["mouthSmileLeft"] + row["mouthSmileRight"]) / 2
        add(f"smile_set jawOpen | mouth_open={mouth_open}", row["jawOpen"])
        add(f"smile_set mouthSmile | smile={smiling}", smile_value)
        add(f"smile_set p_happiness | smile={smiling}", row["p_happiness"])
    yfound = 0
    for img, mouth in yawn:
        row = webcam_row(models, detector, img)
        if not row.get("face_found"):
            continue
        yfound += 1
        add(f"yawn_set jawOpen | yawn={int(mouth is not None)}", row["jawOpen"])
    out: dict = {"smile_faces_found": f"{found}/{len(smile)}", "yawn_faces_found": f"{yfound}/{len(yawn)}"}
    out |= {k: {"n": len(v), "median": round(float(np.median(v)), 3), "mean": round(float(np.mean(v)), 3)}
            for k, v in sorted(groups.items())}
    return out


def smile_labels(root: Path, limit: int) -> list[tuple[int, int]]:
    """(smile, mouth_open) per image, in load_smile's order."""
    out = []
    with open(root / "annotations.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if (root / "images" / row["filename"]).exists():
                out.append((int(row["smile"]), int(row["mouth_open"])))
            if len(out) >= limit:
                break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smile", type=Path, help="smile-detection data/ folder (annotations.csv, images/)")
    parser.add_argument("--yawn", type=Path, help="yawn_v5 folder (valid/, test/)")
    parser.add_argument("--fer", type=Path, help="a FER+ image folder (e.g. FER2013Valid)")
    parser.add_argument("--limit", type=int, default=100000, help="at most N images per set")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--models", action="store_true",
                        help="also run the shipped models (infer --camera webcam) and report the mouth shapes' "
                             "response to the sets' smile / mouth-open / yawn labels")
    parser.add_argument("--skip-detectors", action="store_true", help="skip the detector comparison")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    smile = load_smile(args.smile, args.limit) if args.smile else []
    yawn = load_yawn(args.yawn, args.limit) if args.yawn else []
    report: dict = {"opencv": cv2.__version__, "load_average": os.getloadavg()[0], "detectors": {}}
    for name, options in ({} if args.skip_detectors else VARIANTS).items():
        rates = detection_rates(HaarFaceDetector(**options), smile, yawn)
        report["detectors"][name] = rates
        print(f"{name:28s} smile {rates['smile_rate']:.3f} ({rates['smile_ms_p50'] or 0:.1f} ms) | yawn "
              f"{rates['yawn_rate']:.3f} of {rates['yawn_labelled']} labelled, any face {rates['yawn_found']:.3f} "
              f"({rates['yawn_ms_p50'] or 0:.1f} ms)", flush=True)
    detector = HaarFaceDetector()
    if args.fer:
        report["fer_framing"] = fer_framing(detector, args.fer, args.limit)
        print("FER framing:", report["fer_framing"], flush=True)
    if smile:
        report["landmarks_in_crop"] = landmark_check(detector, smile)
        print("landmarks in face_aligned_crop:", report["landmarks_in_crop"], flush=True)
    if args.models:
        report["mouth_response"] = mouth_response(smile, smile_labels(args.smile, args.limit) if args.smile else [],
                                                  yawn)
        for key, value in report["mouth_response"].items():
            print(f"  {key}: {value}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
