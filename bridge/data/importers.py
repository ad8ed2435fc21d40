"""One importer per approved set: SOURCE_DIR (as extracted from the mirror) -> list of Records.

Each importer checks the layout first and raises LayoutError with what it expected, so a wrong folder (or a set
that is not on the approved list) is refused instead of producing an empty or mislabelled shard. Unreadable images
are skipped and counted.
"""

from __future__ import annotations

import csv
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

from bridge.data.framing import (
    eye_aperture,
    eye_crop,
    eye_crop_from_contour,
    eye_crops_from_face_box,
    face_box_from_landmarks,
    face_box_from_yawn_mouth,
    mask_stats,
    square_crop,
)
from bridge.data.shards import Record
from bridge.data.sources import AFFECTNET_TO_FER8
from bridge.inference.preprocess import face_aligned_crop, to_gray_u8

Progress = Callable[[str], None]
Box = tuple[float, float, float, float]  # x, y, w, h in pixels
# gray u8 image -> face boxes (bridge.sources.face_detector.FaceDetector); tests pass a stand-in
FaceDetector = Callable[[np.ndarray], Sequence[Box]]
NO_FACE = "no face found by the face detector (upright or turned 180 degrees)"


class LayoutError(ValueError):
    """SOURCE_DIR does not look like the set the importer was asked for."""


class Skips:
    """Counts skipped files by reason (reported in the manifest and on stderr)."""

    def __init__(self) -> None:
        self.reasons: Counter[str] = Counter()
        self.turned = 0  # images kept but turned upright (yawn_v5's upside-down copies)

    def add(self, reason: str) -> None:
        self.reasons[reason] += 1

    @property
    def total(self) -> int:
        return int(sum(self.reasons.values()))


def _progress_printer(label: str, total: int, every_s: float = 2.0) -> Callable[[int, int], None]:
    t0 = [time.time(), 0.0]

    def tick(done: int, skipped: int) -> None:
        now = time.time()
        if now - t0[1] >= every_s or done == total:
            t0[1] = now
            print(f"\rimport {label}: {done}/{total} files, {skipped} skipped, {now - t0[0]:.0f} s", end="",
                  file=sys.stderr, flush=True)
            if done == total:
                print(file=sys.stderr)

    return tick


def _read(path: Path, skips: Skips) -> np.ndarray | None:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0 or min(img.shape[:2]) < 2:
        skips.add("unreadable image")
        return None
    return img


def _walk(label: str, items: list, fn, skips: Skips) -> list[Record]:
    """Apply ``fn(item) -> Record | list[Record] | None`` to every item with progress (a list: several samples from
    one file); None results are skips (fn counts them)."""
    tick = _progress_printer(label, len(items))
    out: list[Record] = []
    for i, item in enumerate(items):
        r = fn(item)
        if isinstance(r, list):
            out.extend(r)
        elif r is not None:
            out.append(r)
        tick(i + 1, skips.total)
    return out


def default_face_detector() -> FaceDetector:
    """The project's webcam face detector (Haar cascade, bridge.sources.face_detector); LayoutError when absent."""
    from bridge.sources.face_detector import FaceDetectorUnavailable, open_face_detector

    try:
        return open_face_detector()
    except FaceDetectorUnavailable as exc:
        raise LayoutError(f"this set needs the face detector: {exc}") from exc


def find_face(gray: np.ndarray, detector: FaceDetector) -> tuple[np.ndarray, Box] | None:
    """The largest face ``detector`` finds in ``gray``, and the image its box refers to. When the upright image shows
    none, the image turned 180 degrees is searched too (yawn_v5 holds roboflow copies turned upside down; the crop
    is then cut from the turned image, i.e. upright). None when neither shows a face."""
    for img in (gray, cv2.rotate(gray, cv2.ROTATE_180)):
        boxes = [tuple(float(v) for v in b) for b in detector(img)]
        boxes = [b for b in boxes if b[2] > 0 and b[3] > 0]
        if boxes:
            x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
            return img, (x, y, w, h)
    return None


# ---------------------------------------------------------------- MRL eyes
MRL_NAME = re.compile(r"^s(\d+)_(\d+)_([01])_([01])_([01])_([012])_([01])_(\d+)\.png$")


def _mrl_root(src: Path) -> Path:
    for cand in (src, src / "mrlEyes_2018_01"):
        if any((cand / s / c).is_dir() for s in ("train", "val") for c in ("0", "1")):
            return cand
    raise LayoutError(f"{src}: not the MRL eye layout (expected mrlEyes_2018_01/{{train,val}}/{{0,1}}/s*.png)")


def import_mrl(src: Path, size: int, skips: Skips, **_) -> list[Record]:
    """MRL Eye Dataset: person = subject from the file name (the set's own train/val split is random and leaks
    people, so it is ignored); eye state from the name (checked against the 0/1 folder)."""
    root = _mrl_root(src)
    files = sorted(p for s in ("train", "val") for c in ("0", "1") for p in (root / s / c).glob("*.png"))
    seen: set[str] = set()

    def one(p: Path) -> Record | None:
        m = MRL_NAME.match(p.name)
        if not m:
            skips.add("file name not s<subject>_<image>_..._<sensor>.png")
            return None
        if p.name in seen:
            skips.add("duplicate file name")
            return None
        seen.add(p.name)
        state = int(m.group(5))
        if str(state) != p.parent.name:
            skips.add("eye state in file name disagrees with its 0/1 folder")
            return None
        img = _read(p, skips)
        if img is None:
            return None
        crop, _ = eye_crop(img, size)
        return Record(crop, f"s{int(m.group(1)):04d}", str(p.relative_to(root)), {"closed": float(1 - state)})

    return _walk("mrl", files, one, skips)


def import_mrl_pupil(src: Path, size: int, skips: Skips, images: Path | None = None, **_) -> list[Record]:
    """pupil_finder's pupil centres on MRL images (``--images`` = the MRL folder). Same person split as MRL."""
    txt = src / "pupil.txt" if src.is_dir() else src
    if not txt.is_file() and (src / "dataset" / "pupil.txt").is_file():
        txt = src / "dataset" / "pupil.txt"
    if not txt.is_file():
        raise LayoutError(f"{src}: no pupil.txt (expected pupil_finder's dataset/pupil.txt)")
    if images is None:
        raise LayoutError("mrl-pupil: pass --images MRL_DIR (the pupil centres refer to MRL eye images)")
    root = _mrl_root(Path(images))
    index = {p.name: p for p in root.glob("*/*/*.png")}
    lines = [ln.split() for ln in txt.read_text().splitlines() if ln.strip()]

    def one(parts: list[str]) -> Record | None:
        if len(parts) != 3:
            skips.add("pupil.txt line is not 'path x y'")
            return None
        name = Path(parts[0]).name
        m = MRL_NAME.match(name)
        if not m or name not in index:
            skips.add("image not found in the MRL folder")
            return None
        img = _read(index[name], skips)
        if img is None:
            return None
        crop, (x0, y0, side) = eye_crop(img, size)
        x, y = (float(parts[1]) - x0) / side, (float(parts[2]) - y0) / side
        labels: dict[str, object] = {"closed": float(1 - int(m.group(5)))}
        if 0 <= x <= 1 and 0 <= y <= 1:
            labels["pupil"] = (x, y)
        return Record(crop, f"s{int(m.group(1)):04d}", parts[0], labels)

    return _walk("mrl-pupil", lines, one, skips)


# ---------------------------------------------------------------- ITMO close-up IR eyes
ITMO_NAME = re.compile(r"^(\d+)_(Left|Right)_(\d+)\.png$")


def import_itmo(src: Path, size: int, skips: Skips, **_) -> list[Record]:
    """PupilEye (pupil masks) and IrisEye (iris masks): image ``N.png`` beside mask ``Nm.png``; person = subject."""
    parts = [d for d in ("PupilEye", "IrisEye") if (src / d).is_dir()]
    if not parts:
        raise LayoutError(f"{src}: not the ITMO layout (expected PupilEye/ and/or IrisEye/ with N.png + Nm.png)")
    items = [(d, p) for d in parts for p in sorted((src / d).glob("*.png")) if ITMO_NAME.match(p.name)]
    n_other = sum(
        1 for d in parts for p in (src / d).glob("*") if not ITMO_NAME.match(p.name) and not p.stem.endswith("m"))
    if n_other:
        skips.reasons["unrecognised file name"] += n_other

    def one(item) -> Record | None:
        d, p = item
        m = ITMO_NAME.match(p.name)
        assert m is not None  # items holds only names ITMO_NAME matched
        mask_path = p.with_name(p.stem + "m.png")
        if not mask_path.exists():
            skips.add("image without mask")
            return None
        img, mask = _read(p, skips), _read(mask_path, skips)
        if img is None or mask is None:
            return None
        crop, (x0, y0, side) = eye_crop(img, size)
        labels: dict[str, object] = {"side": 0 if m.group(2) == "Left" else 1}
        st = mask_stats(mask)
        if st is not None:
            labels["pupil"] = ((st[0] - x0) / side, (st[1] - y0) / side)
            labels["closed"] = 0.0  # the pupil/iris is visible: the eye is open
            if d == "IrisEye":
                labels["visible"] = st[2]
        return Record(crop, f"itmo{int(m.group(1)):02d}", f"{d}/{p.name}", labels)

    return _walk("itmo", items, one, skips)


# ---------------------------------------------------------------- MMU iris + masks
def import_mmu(src: Path, size: int, skips: Skips, masks: Path | None = None, **_) -> list[Record]:
    """MMU iris images (subject/left|right/*.bmp) with jkozlova's masks (``--masks`` = Dataset/mask): the n-th
    image of a subject/eye folder (sorted by name) pairs with mask n.bmp."""
    subjects = [d for d in sorted(src.iterdir()) if d.is_dir() and d.name.isdigit()] if src.is_dir() else []
    if not subjects or not any((d / "left").is_dir() or (d / "right").is_dir() for d in subjects):
        raise LayoutError(f"{src}: not the MMU layout (expected <subject>/{{left,right}}/*.bmp)")
    if masks is None or not Path(masks).is_dir():
        raise LayoutError("mmu: pass --masks DIR (jkozlova/Masks-for-MMU-Iris-dataset Dataset/mask)")
    masks = Path(masks)
    items = []
    for d in subjects:
        for side in ("left", "right"):
            imgs = sorted((d / side).glob("*.bmp"), key=lambda p: (len(p.stem), p.stem))
            for n, p in enumerate(imgs, start=1):
                items.append((d.name, side, p, masks / d.name / side / f"{n}.bmp"))

    def one(item) -> Record | None:
        subj, side, p, mp = item
        img = _read(p, skips)
        if img is None:
            return None
        crop, (x0, y0, s) = eye_crop(img, size)
        labels: dict[str, object] = {"side": 0 if side == "left" else 1}
        if mp.exists():
            mask = _read(mp, skips)
            st = mask_stats(mask) if mask is not None else None
            if st is not None:
                labels |= {"pupil": ((st[0] - x0) / s, (st[1] - y0) / s), "visible": st[2], "closed": 0.0}
        else:
            pass  # kept without labels (counted in the manifest as unlabelled)
        return Record(crop, f"mmu{int(subj):02d}", f"{subj}/{side}/{p.name}", labels)

    return _walk("mmu", items, one, skips)


# ---------------------------------------------------------------- FER+
def import_ferplus(src: Path, size: int, skips: Skips, **_) -> list[Record]:
    """FER+ Train and Valid only (Valid = model selection). Soft labels from the 8 emotion votes; faces whose votes
    are mostly unknown / not-a-face are skipped. FER2013Test is never imported (held out)."""
    root = src / "data" if (src / "data" / "FER2013Train").is_dir() else src
    splits = [(d, s) for d, s in (("FER2013Train", "train"), ("FER2013Valid", "val"))
              if (root / d / "label.csv").is_file()]
    if not splits:
        raise LayoutError(f"{src}: not the FER+ layout (expected FER2013Train/label.csv and/or FER2013Valid/label.csv)")
    if (root / "FER2013Test").exists():
        print(f"import ferplus: {root / 'FER2013Test'} is held out; not imported", file=sys.stderr)
    items = []
    for d, split in splits:
        with open(root / d / "label.csv", newline="") as fh:
            items += [(d, split, row) for row in csv.reader(fh) if row]

    def one(item) -> Record | None:
        d, split, row = item
        if len(row) != 12:
            skips.add("label.csv row without 10 vote counts")
            return None
        try:
            votes = np.array([float(v) for v in row[2:]], np.float32)
        except ValueError:
            skips.add("label.csv row without 10 vote counts")
            return None
        if votes[:8].sum() <= 0 or int(np.argmax(votes)) >= 8:
            skips.add("mostly unknown / not a face")
            return None
        img = _read(root / d / row[0], skips)
        if img is None:
            return None
        crop = square_crop(img, img.shape[1] / 2, img.shape[0] / 2, min(img.shape[:2]), size)
        return Record(crop, "unknown", f"{d}/{row[0]}", {"fer8": votes[:8] / votes[:8].sum()}, split=split)

    return _walk("ferplus", items, one, skips)


# ---------------------------------------------------------------- smile / mouth open
def _smile_rows(src: Path) -> tuple[Path, list[dict]]:
    """smile-detection's image folder and annotation rows (layout checked)."""
    root = src / "data" if (src / "data" / "annotations.csv").is_file() else src
    if not (root / "annotations.csv").is_file() or not (root / "images").is_dir():
        raise LayoutError(f"{src}: not the smile-detection layout (expected annotations.csv and images/)")
    with open(root / "annotations.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and not {"filename", "smile", "mouth_open", "points"} <= set(rows[0]):
        raise LayoutError(f"{root / 'annotations.csv'}: expected columns filename, smile, mouth_open, points")
    return root, rows


def _smile_face(root: Path, row: dict, skips: Skips) -> tuple[np.ndarray, np.ndarray] | None:
    """The row's 68 (x, y) landmarks and its image, or None (counted) when the row has no landmarks / labels or
    the image is unreadable."""
    try:
        pts = np.array([float(v) for v in row["points"].split(",")], np.float32)
        float(row["smile"]), float(row["mouth_open"])
    except (ValueError, AttributeError):
        pts = np.zeros(0, np.float32)
    if pts.size != 136:
        skips.add("annotation row without 68 landmarks / labels")
        return None
    img = _read(root / "images" / row["filename"], skips)
    return None if img is None else (pts.reshape(68, 2), img)


def _smile_group(file_name: str) -> str:
    return Path(file_name).stem.split("_")[0]


def import_smile(src: Path, size: int, skips: Skips, **_) -> list[Record]:
    """smile-detection: face crops with 68 landmarks -> FER-like square; labels smile and mouth_open. No person
    ids: grouped by the file name's first token (one photo's crops share it)."""
    root, rows = _smile_rows(src)

    def one(row) -> Record | None:
        face = _smile_face(root, row, skips)
        if face is None:
            return None
        pts, img = face
        cx, cy, side = face_box_from_landmarks(pts)
        crop = square_crop(img, cx, cy, side, size)
        return Record(crop, _smile_group(row["filename"]), row["filename"],
                      {"smile": float(row["smile"]), "mouth_open": float(row["mouth_open"])})

    return _walk("smile", rows, one, skips)


# iBUG 68-point eyelid contours: subject's left eye (image right in an unmirrored photo), subject's right eye.
EYE_CONTOURS = {0: slice(42, 48), 1: slice(36, 42)}


def import_smile_eyes(src: Path, size: int, skips: Skips, **_) -> list[Record]:
    """smile-detection's eyes: both eyes of every face, cut around their landmark eyelid contour at headset framing
    (``eye_crop_from_contour``), labelled with the contour's ``aperture`` (visible eye area / eye width^2) and the
    side. Same groups and person split as the ``smile`` import (the same photos)."""
    root, rows = _smile_rows(src)

    def one(row) -> list[Record] | None:
        face = _smile_face(root, row, skips)
        if face is None:
            return None
        pts, img = face
        return [Record(eye_crop_from_contour(img, pts[sl], size), _smile_group(row["filename"]),
                       f"{row['filename']}#{'left' if side == 0 else 'right'}",
                       {"aperture": eye_aperture(pts[sl]), "side": side}) for side, sl in EYE_CONTOURS.items()]

    return _walk("smile-eyes", rows, one, skips)


# ---------------------------------------------------------------- yawn


# Person proxy of a yawn_v5 file (the set has no person ids): frames of one video, one webcam session or one capture
# tool share a group, so no video's people end up on both sides of the split. Tried in order on the file stem
# (roboflow's ``_jpg.rf.<hash>`` suffix removed); a stem no rule matches is its own group (a single photo).
YAWN_GROUP_RULES = tuple(re.compile(r) for r in (
    r"^(\d+)",  # 1001-117-, 13050frame0-00-22-50, 503: the leading number (roboflow copies and flips share it)
    r"^(.*(?:mp4|avi|mov))[-_]\d+",  # Yawning_mp4-0410, eating1_mp4_126: a video's frames
    r"^(yt-[A-Za-z0-9_-]{11})-\d+$",  # yt-<video id>-<frame>
    r"^(Video\d+)_",  # Video2_4_274
    r"^(VID_\d+_\d+)_\d+$",  # VID_20221206_141004_005: a phone video's frames
    r"^(WIN_\d{8})_",  # WIN_20220722_11_26_10_Pro: one day's webcam captures
    r"^(yawn)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-([0-9a-f]{12})$",  # capture tool: uuid1 of one machine
))


def _mouth_in_a_face(faces: Sequence[Box], mx: float, my: float) -> bool:
    """The point (mx, my) lies in the lower part of one of ``faces`` (a yawning mouth can hang below the box)."""
    return any(x <= mx <= x + fw and y + 0.45 * fh <= my <= y + 1.25 * fh for x, y, fw, fh in faces)


def mouth_upside_down(gray: np.ndarray, mx: float, my: float, detector: FaceDetector) -> bool:
    """True when the mouth box centre (mx, my) sits in the lower part of a detected face only in the image turned
    180 degrees (yawn_v5 holds roboflow copies turned upside down; the mouth-box framing assumes an upright face).
    When neither or both orientations show such a face, the image counts as upright (as before)."""
    if _mouth_in_a_face(detector(gray), mx, my):
        return False
    h, w = gray.shape[:2]
    return _mouth_in_a_face(detector(cv2.rotate(gray, cv2.ROTATE_180)), w - 1 - mx, h - 1 - my)


def yawn_group(file_name: str) -> str:
    """The split group of a yawn_v5 image file name (see YAWN_GROUP_RULES)."""
    stem = re.split(r"_(?:jpg|jpeg|png)\.rf\.", file_name)[0]
    stem = stem[:-4] if stem.lower().endswith((".jpg", ".png")) else stem
    for rule in YAWN_GROUP_RULES:
        m = rule.match(stem)
        if m:
            return "y" + "".join(m.groups())
    return stem


def import_yawn(src: Path, size: int, skips: Skips, detector: FaceDetector | None = None, **_) -> list[Record]:
    """yawn_v5: scenes with a YOLO mouth box on yawns (empty label file: no yawn). A yawning image is framed from
    its mouth box (the face detector often misses a wide yawn), turned upright first when the face detector finds
    its face only upside down (``mouth_upside_down``); a scene without a box is framed from the largest
    face the face detector finds (``face_aligned_crop``) and labelled yawn = 0, "not yawning" (it may be talking,
    eating or on the phone: mouth_open stays unknown); scenes without a detected face are skipped and counted.
    Groups for the split: ``yawn_group`` (the video / session a frame comes from); the set's own test split stays
    test (held out)."""
    root = src / "dataset" / "yawn_v5" if (src / "dataset" / "yawn_v5").is_dir() else src
    split_dirs = [(d, s) for d, s in (("train", None), ("valid", None), ("test", "test"))
                  if (root / d / "images").is_dir()]
    if not split_dirs:
        raise LayoutError(f"{src}: not the yawn_v5 layout (expected {{train,valid,test}}/images + labels/)")
    items = [(d, forced, p) for d, forced in split_dirs for p in sorted((root / d / "images").glob("*.jpg"))]
    det: list[FaceDetector | None] = [detector]

    def face_detector() -> FaceDetector:  # built on the first scene without a yawn (not needed otherwise)
        found = det[0]
        if found is None:
            found = det[0] = default_face_detector()
        return found

    def one(item) -> Record | None:
        d, forced, p = item
        group = yawn_group(p.name)
        lab = root / d / "labels" / (p.stem + ".txt")
        boxes = []
        if lab.exists():
            for ln in lab.read_text().splitlines():
                f = ln.split()
                if len(f) == 5:
                    boxes.append([float(v) for v in f[1:]])
        img = _read(p, skips)
        if img is None:
            return None
        if not boxes:  # a scene without a yawn: frame it from the detected face
            gray = to_gray_u8(img)
            found = find_face(gray, face_detector())
            if found is None:
                skips.add(f"non-yawn scene: {NO_FACE}")
                return None
            turned, box = found
            skips.turned += turned is not gray
            return Record(face_aligned_crop(turned, box, size), group, f"{d}/images/{p.name}", {"yawn": 0.0},
                          split=forced)
        gray = to_gray_u8(img)
        h, w = gray.shape
        bx, by, bw, bh = max(boxes, key=lambda b: b[2] * b[3])
        mx, my = bx * w, by * h
        if mouth_upside_down(gray, mx, my, face_detector()):  # a roboflow copy turned 180 degrees: turn it back
            gray, mx, my = cv2.rotate(gray, cv2.ROTATE_180), w - 1 - mx, h - 1 - my
            skips.turned += 1
        cx, cy, side = face_box_from_yawn_mouth(mx, my, bw * w, bh * h)
        return Record(square_crop(gray, cx, cy, side, size), group, f"{d}/images/{p.name}", {"yawn": 1.0,
                      "mouth_open": 1.0}, split=forced)

    return _walk("yawn", items, one, skips)


# ---------------------------------------------------------------- NIR faces (evaluation only)
NIR_NAME = re.compile(r"^(\d+)-(\d+)-.*\.jpg$")


def import_nir(src: Path, size: int, skips: Skips, boxes: Path | None = None, detector: FaceDetector | None = None,
               **_) -> list[Record]:
    """custom_nir: 1920x1080 NIR webcam-distance frames with AffectNet labels (custom_nir-annotations.csv beside the
    folder). The face is the largest one the face detector finds (or the box of ``--boxes CSV``: file,x,y,w,h),
    framed with ``face_aligned_crop``; the subject's eyes are cut from the same box at full resolution (views
    ``left_eye`` / ``right_eye``). Frames without a face are skipped and counted. Evaluation only: every frame goes
    to the 'val' split (nothing of this set is ever trained on; subjects stay recorded as persons)."""
    csv_path = next((p for p in (src.parent / "custom_nir-annotations.csv", src / "custom_nir-annotations.csv")
                     if p.is_file()), None)
    if csv_path is None or not any(NIR_NAME.match(p.name) for p in src.glob("*.jpg")):
        raise LayoutError(f"{src}: not the custom_nir layout (expected <subject>-<n>-<label>.jpg and "
                          "custom_nir-annotations.csv beside the folder)")
    box: dict[str, Box] | None = None
    if boxes is not None:
        with open(boxes, newline="") as fh:
            box = {r[0]: (float(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in csv.reader(fh)
                   if len(r) >= 5 and r[1] != "x"}
    det = default_face_detector() if box is None and detector is None else detector
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))

    def one(row) -> Record | None:
        name = row.get("filename", "")
        m = NIR_NAME.match(name)
        if not m:
            skips.add("annotation row without a <subject>-<n>-<label>.jpg file name")
            return None
        try:
            expr = AFFECTNET_TO_FER8.get(int(float(row["expression"])), -1)
            labels: dict[str, object] = {"expression": expr, "valence": float(row["valence"]),
                                         "arousal": float(row["arousal"])}
        except (KeyError, ValueError):
            skips.add("annotation row without expression/valence/arousal")
            return None
        if box is not None and name not in box:
            skips.add("no face box in --boxes")
            return None
        img = _read(src / name, skips)
        if img is None:
            return None
        gray = to_gray_u8(img)
        if box is not None:
            face = box[name]
        else:
            assert det is not None
            found = find_face(gray, det)
            if found is None:
                skips.add(NO_FACE)
                return None
            skips.turned += found[0] is not gray
            gray, face = found
        left, right = eye_crops_from_face_box(gray, face, size)
        return Record(face_aligned_crop(gray, face, size), f"nir{int(m.group(1)):02d}", name, labels, split="val",
                      views={"left_eye": left, "right_eye": right})

    return _walk("nir", rows, one, skips)


IMPORTERS: dict[str, Callable[..., list[Record]]] = {
    "mrl": import_mrl, "mrl-pupil": import_mrl_pupil, "itmo": import_itmo, "mmu": import_mmu,
    "ferplus": import_ferplus, "smile": import_smile, "smile-eyes": import_smile_eyes, "yawn": import_yawn,
    "nir": import_nir,
}
# Sets that share people: imported with the same person split as the set named here.
SPLIT_KEY = {"mrl-pupil": "mrl", "smile-eyes": "smile"}


def iter_kinds() -> Iterable[str]:
    return IMPORTERS.keys()
