"""`facebridge eval --real DIR`: the shipped models on labelled REAL images, through the runtime path.

DIR is an imported set (`facebridge data import`, its ``manifest.json``; the validation split by default), a folder
holding several imported sets, or a class-per-folder tree of raw images:

* eye folders ``open/`` and ``closed/`` (or ``1/`` and ``0/`` as in MRL) -> the eye metrics;
* FER8 emotion folders (``neutral/``, ``happiness/`` or ``happy/``, ...; JAFFE/KDEF two-letter codes too) of face
  photos -> lower-face metrics (the runtime blacks out the upper half). Each photo is framed like the webcam layout
  frames a face (``face_framing``: the face detector's box -> ``face_aligned_crop``) unless it already is a face
  crop or shows no detectable face; ``--framing`` overrides, and the report counts how each image was framed.

Every image goes through ``OnnxFaceModels.predict`` exactly as `facebridge infer` does: an eye image is the LEFT
eye camera alone (the right eye copies it), a face image is the lower_face camera alone.

Metrics: eye open/closed -> eyeBlink ROC AUC, mean eyeBlink on closed and open eyes and their gap, accuracy at
0.5, share predicted open (openness >= 0.5), eyeWide on open eyes, P(surprise) of the eyes; iris masks -> Spearman
of openness with the visible iris fraction; landmark eyelid contours (smile-eyes) -> Spearman of openness (and of
-eyeBlink) with the eye aperture (visible eye area / eye width^2); FER8 -> accuracy against the majority vote,
macro F1, per-class table, confusion PNG, share predicted 'surprise'; smile / mouth open / yawn -> AUC and means of
the lower-face model's mouthSmile and jawOpen (yawn: jawOpen ROC AUC of yawning vs not-yawning scenes, mean jawOpen
on each).

A face set that also stores the subject's eye crops (custom_nir: views ``left_eye`` / ``right_eye`` cut from the face
box) gets an ``eyes_from_face`` block: both crops as the two eye cameras -> share predicted open (openness >= 0.5),
mean eyeBlink / eyeWide, and the eyes-only valence/arousal against the annotations (CCC, Pearson). These are NIR
faces at webcam distance, NOT headset eye frames: a coarse real check of the eye models, not the headset figure.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bridge.evaluation.metrics import (
    accuracy,
    ccc,
    confusion_matrix,
    macro_f1,
    pearson,
    per_class_table,
    roc_auc,
    spearman,
)
from bridge.inference.preprocess import crop_view
from bridge.inference.types import ModelInputs
from bridge.schema import BLENDSHAPE_INDEX, EMOTIVE5, FER8

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm")
EYE_FOLDERS = {"open": 0, "closed": 1, "1": 0, "0": 1}  # folder -> closed label (MRL: 0 = closed, 1 = open)
EMOTION_ALIASES = {"happy": "happiness", "sad": "sadness", "angry": "anger", "surprised": "surprise",
                   "disgusted": "disgust", "fearful": "fear", "scared": "fear", "afraid": "fear",
                   "neutrality": "neutral", "contemptuous": "contempt",
                   # JAFFE / KDEF expression codes
                   "ne": "neutral", "ha": "happiness", "sa": "sadness", "su": "surprise", "an": "anger",
                   "di": "disgust", "fe": "fear", "af": "fear"}
BLINK_L, WIDE_L = BLENDSHAPE_INDEX["eyeBlinkLeft"], BLENDSHAPE_INDEX["eyeWideLeft"]
BLINK_R, WIDE_R = BLENDSHAPE_INDEX["eyeBlinkRight"], BLENDSHAPE_INDEX["eyeWideRight"]
JAW, SMILE_L, SMILE_R = (BLENDSHAPE_INDEX[n] for n in ("jawOpen", "mouthSmileLeft", "mouthSmileRight"))
# Landmark eye apertures (contour area / squared eye width; relaxed open ~0.2): below SHUT the lids are (nearly) shut,
# above OPEN the eye is clearly open. The shut-vs-open blink gap is the visible-light closed-eye check: the only
# closed real eyes in visible light the approved sets have (round 9: a fresh net read 2 of 6 shut lids as open).
SHUT_APERTURE, OPEN_APERTURE = 0.06, 0.15


# What a reader must know to read a set's figures (rendered under its source line).
SET_NOTES = {
    "nir": "193 near-IR frames of 19 subjects at webcam distance (1920x1080, whole face), evaluation only: every frame "
           "is scored. Face box = the largest face of the project's Haar detector -> face_aligned_crop -> the "
           "lower_face camera (upper half blacked out). AffectNet expression 0-7 mapped onto FER8 "
           "(bridge.data.sources.AFFECTNET_TO_FER8); one posed expression per frame, 8 classes fairly balanced.",
    "smile-eyes": "Both eyes of the smile-detection faces (visible-light photos, gray), cut at headset framing (the "
                  "eye at half the crop's width) around their 68-landmark eyelid contour; aperture = the contour's "
                  "area / eye width^2. Nearly all eyes are open: the Spearman says whether openness follows how wide "
                  "the eye is open (squint .. wide), the stand-in for the headset 'openness vs visible eye area' "
                  "check.",
    "yawn": "Yawning = yawn_v5 images with a YOLO mouth box (framed from the box); not yawning = its scenes without a "
            "box, framed from the face detector's largest face: they include talking, eating and phone calls (open "
            "mouths), and roughly 20 of the 342 detected 'faces' (~6-7 %) are not faces (contact sheet, by eye). "
            "Upside-down copies are turned upright where the detector finds their face. Split by video / session "
            "(bridge.data.importers.yawn_group).",
}


class RealSetError(ValueError):
    """The --real folder is neither an imported set nor a class-per-folder tree."""


# ---------------------------------------------------------------- loading
def load_labelled(folder: Path, split: str = "val", framing: str = "auto") -> list[tuple[str, dict]]:
    """[(name, {"view": "eye"|"face", "images": (N,S,S) u8 or list of raw images, "labels": {...}})]. ``framing``:
    how class-folder face photos are framed (face_framing.FRAMINGS); imported sets are framed by their importer."""
    from bridge.data.shards import MANIFEST, load_set

    folder = Path(folder)
    if not folder.is_dir():
        raise RealSetError(f"{folder}: not a folder")
    sets = [folder] if (folder / MANIFEST).exists() else sorted(p for p in folder.iterdir()
                                                                 if (p / MANIFEST).exists())
    if sets:
        out = []
        for p in sets:
            rs = load_set(p, (split,))
            if split not in rs.splits:
                continue
            sp = rs.splits[split]
            out.append((f"{rs.kind} ({split}: {len(sp)} images, {len(set(sp.person.tolist()))} persons)",
                        {"view": rs.manifest["view"], "images": sp.images, "labels": sp.labels,
                         "views": sp.views, "manifest": rs.manifest}))
        if not out:
            raise RealSetError(f"{folder}: no imported set has a {split!r} split")
        return out
    return [(folder.name, _class_folders(folder, framing))]


def _face_detector():
    from bridge.sources.face_detector import FaceDetectorUnavailable, open_face_detector

    try:
        return open_face_detector()
    except FaceDetectorUnavailable as exc:
        raise RealSetError(f"framing face photos needs the face detector: {exc} (or pass --framing as-given when "
                           "the photos already are FER-framed face crops)") from exc


def _class_folders(folder: Path, framing: str = "auto") -> dict:
    import cv2

    subs = {p.name.lower(): p for p in folder.iterdir() if p.is_dir()}
    eye = {k: v for k, v in subs.items() if k in EYE_FOLDERS}
    emo = {EMOTION_ALIASES.get(k, k): v for k, v in subs.items() if EMOTION_ALIASES.get(k, k) in FER8}
    if eye and not emo:
        view, classes = "eye", {v: EYE_FOLDERS[k] for k, v in eye.items()}
    elif emo and not eye:
        view, classes = "face", {v: FER8.index(k) for k, v in emo.items()}
    else:
        raise RealSetError(f"{folder}: expected an imported set (manifest.json), or class folders: open/ + closed/ "
                           f"(or MRL's 1/ + 0/) for eyes, or FER8 names ({', '.join(FER8)}) for faces; found "
                           f"{sorted(subs) or 'no folders'}")
    images, labels, skipped = [], [], 0
    for path, label in classes.items():
        for f in sorted(path.rglob("*")):
            if f.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            img = cv2.imdecode(np.fromfile(str(f), np.uint8), cv2.IMREAD_UNCHANGED)
            if img is None:
                skipped += 1
                continue
            images.append(img)
            labels.append(label)
    if not images:
        raise RealSetError(f"{folder}: no readable images in the class folders")
    y = np.array(labels)
    lab = {"closed": y.astype(np.float32)} if view == "eye" else {"expression": y.astype(np.int8)}
    out: dict = {"view": view, "images": images, "labels": lab, "skipped": skipped}
    if view == "face":
        from bridge.evaluation.face_framing import frame_faces

        out["images"], out["framing"] = frame_faces(images, None if framing == "as-given" else _face_detector(),
                                                    framing)
    return out


# ---------------------------------------------------------------- running the runtime path
def _run(models, images, view: str) -> dict[str, np.ndarray]:
    """Per image: the runtime's outputs for one camera (eye = left eye camera alone; face = lower_face alone)."""
    cam = "left_eye" if view == "eye" else "lower_face"
    cols: dict[str, list] = {k: [] for k in ("shapes", "openness", "emotive5", "eyes8", "lower8")}
    for img in images:
        out = models.predict(ModelInputs({cam: crop_view(img, cam, models.size)}))
        cols["shapes"].append(out.blendshapes if out.blendshapes is not None else np.full(52, np.nan, np.float32))
        if view == "eye":
            cols["openness"].append(out.openness[0])
            cols["emotive5"].append(out.emotive5)
            cols["eyes8"].append(out.emotion8_sources["eyes"])
        else:
            cols["lower8"].append(out.emotion8_sources["lower_face"])
    return {k: np.asarray(v) for k, v in cols.items() if v}


def _run_eye_pairs(models, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
    """Per sample: the runtime's outputs for both eye cameras (the subject's left and right eye crops)."""
    cols: dict[str, list] = {k: [] for k in ("shapes", "openness", "valence", "arousal", "eyes8")}
    for lf, rt in zip(left, right, strict=True):
        out = models.predict(ModelInputs({"left_eye": crop_view(lf, "left_eye", models.size),
                                          "right_eye": crop_view(rt, "right_eye", models.size)}))
        cols["shapes"].append(out.blendshapes if out.blendshapes is not None else np.full(52, np.nan, np.float32))
        cols["openness"].append(out.openness if out.openness is not None else np.full(2, np.nan, np.float32))
        cols["valence"].append(np.nan if out.valence is None else out.valence)
        cols["arousal"].append(np.nan if out.arousal is None else out.arousal)
        cols["eyes8"].append(out.emotion8_sources.get("eyes", np.full(len(FER8), np.nan, np.float32)))
    return {k: np.asarray(v, np.float32) for k, v in cols.items()}


def eyes_from_face_metrics(res: dict, labels: dict) -> dict:
    """Eye crops cut from whole-face frames (no open/closed labels: almost every frame shows open eyes)."""
    op = res["openness"]
    sh = res["shapes"]
    out: dict = {"images": int(len(op)), "eyes": int(np.isfinite(op).sum()),
                 "share_eyes_predicted_open": _r(float(np.mean(op[np.isfinite(op)] >= 0.5))
                                                 if np.isfinite(op).any() else np.nan),
                 "openness_mean": _r(float(np.nanmean(op)) if np.isfinite(op).any() else np.nan),
                 "eyeBlink_mean": _r(float(np.nanmean(sh[:, [BLINK_L, BLINK_R]]))),
                 "eyeWide_mean": _r(float(np.nanmean(sh[:, [WIDE_L, WIDE_R]])))}
    for k in ("valence", "arousal"):
        y, p = labels.get(k), res[k]
        if y is None:
            continue
        has = ~np.isnan(y) & np.isfinite(p)
        if has.sum() > 2:
            out[f"{k}_ccc"] = _r(ccc(y[has], p[has]))
            out[f"{k}_corr"] = _r(pearson(y[has], p[has]))
            out[f"{k}_pred_mean"] = _r(float(p[has].mean()))
            out[f"{k}_true_mean"] = _r(float(y[has].mean()))
    e = labels.get("expression")
    if e is not None and (e >= 0).any() and np.isfinite(res["eyes8"]).all():
        has = e >= 0
        out["eyes8_accuracy"] = _r(accuracy(e[has].astype(int), res["eyes8"][has].argmax(1)))
    return out


def _r(x: float, n: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), n)


def eye_metrics(res: dict, labels: dict) -> dict:
    out: dict = {}
    blink, op = res["shapes"][:, BLINK_L], res["openness"]
    c = labels.get("closed")
    if c is not None and (~np.isnan(c)).any():
        has = ~np.isnan(c)
        y = c[has] > 0.5
        b, o = blink[has], op[has]
        wide = res["shapes"][has][:, WIDE_L]
        surprise = res["emotive5"][has][:, EMOTIVE5.index("surprise")]
        out["open_closed"] = {
            "images": int(has.sum()), "closed": int(y.sum()), "open": int((~y).sum()),
            "blink_auc": _r(roc_auc(y, b)), "blink_mean_closed": _r(b[y].mean() if y.any() else np.nan),
            "blink_mean_open": _r(b[~y].mean() if (~y).any() else np.nan),
            "blink_gap": _r(b[y].mean() - b[~y].mean() if y.any() and (~y).any() else np.nan),
            "blink_accuracy_at_0.5": _r(accuracy(y, b >= 0.5)),
            "openness_auc_open": _r(roc_auc(~y, o)),
            "share_open_predicted_open": _r(float(np.mean(o[~y] >= 0.5)) if (~y).any() else np.nan),
            "share_closed_predicted_closed": _r(float(np.mean(o[y] < 0.5)) if y.any() else np.nan),
            "eyeWide_mean_open": _r(wide[~y].mean() if (~y).any() else np.nan),
            "eyeWide_share_open_ge_0.7": _r(float(np.mean(wide[~y] >= 0.7)) if (~y).any() else np.nan),
            "emotive5_surprise_mean_open": _r(surprise[~y].mean() if (~y).any() else np.nan),
            "eyes8_surprise_mean_open": _r(res["eyes8"][has][~y][:, FER8.index("surprise")].mean()
                                           if (~y).any() else np.nan),
        }
        out["_confusion"] = (confusion_matrix(y.astype(int), (b >= 0.5).astype(int), 2), ("open", "closed"))
    v = labels.get("visible")
    if v is not None and (~np.isnan(v)).sum() > 2:
        hv = ~np.isnan(v)
        out["visible_iris"] = {"images": int(hv.sum()), "openness_spearman": _r(spearman(v[hv], op[hv])),
                               "share_predicted_open": _r(float(np.mean(op[hv] >= 0.5)))}
    a = labels.get("aperture")
    if a is not None and (~np.isnan(a)).sum() > 2:
        ha = ~np.isnan(a)
        out["eye_aperture"] = {"images": int(ha.sum()), "openness_spearman": _r(spearman(a[ha], op[ha])),
                               "eyeBlink_spearman": _r(spearman(a[ha], -blink[ha])),
                               "share_predicted_open": _r(float(np.mean(op[ha] >= 0.5)))}
        shut, wide_open = ha & (a < SHUT_APERTURE), ha & (a > OPEN_APERTURE)
        if shut.any() and wide_open.any():
            out["eye_aperture"] |= {"shut_images": int(shut.sum()), "shut_blink_mean": _r(blink[shut].mean()),
                                    "shut_read_open": _r(float(np.mean(blink[shut] < 0.5))),
                                    "blink_gap_shut_vs_open": _r(blink[shut].mean() - blink[wide_open].mean())}
    return out


def face_metrics(res: dict, labels: dict) -> dict:
    out: dict = {}
    p = res["lower8"]
    y = None
    if "fer8" in labels and (~np.isnan(labels["fer8"]).any(1)).any():
        has = ~np.isnan(labels["fer8"]).any(1)
        y, p8 = labels["fer8"][has].argmax(1), p[has]
    elif "expression" in labels and (labels["expression"] >= 0).any():
        has = labels["expression"] >= 0
        y, p8 = labels["expression"][has].astype(int), p[has]
    if y is not None:
        pred = p8.argmax(1)
        cm = confusion_matrix(y, pred, len(FER8))
        counts = np.bincount(y, minlength=len(FER8))
        out["fer8"] = {"images": int(len(y)), "accuracy": _r(accuracy(y, pred)), "macro_f1": _r(macro_f1(cm)),
                       "majority_baseline": _r(counts.max() / max(1, counts.sum())),
                       "share_predicted_surprise": _r(float(np.mean(pred == FER8.index("surprise")))),
                       "share_true_surprise": _r(float(np.mean(y == FER8.index("surprise")))),
                       "per_class": per_class_table(cm, FER8)}
        present = np.flatnonzero(counts)
        if len(present) < len(FER8):
            # A 7-emotion set (no contempt, say): also the argmax over the emotions the set can name, the usual
            # closed-set figure, beside the 8-way one (a 'contempt' answer is always wrong there).
            out["fer8"]["classes_present"] = ", ".join(FER8[i] for i in present)
            out["fer8"]["accuracy_among_present_classes"] = _r(accuracy(y, present[p8[:, present].argmax(1)]))
        out["_confusion"] = (cm, FER8)
    sh = res["shapes"]
    jaw, smile = sh[:, JAW], (sh[:, SMILE_L] + sh[:, SMILE_R]) / 2
    mouth: dict = {}
    if np.isnan(jaw).all():
        if any(k in labels for k in ("yawn", "mouth_open", "smile")):
            out["mouth_shapes"] = {"note": "these models give no shapes from the lower_face camera"}
        return out
    if "yawn" in labels and (labels["yawn"] > 0.5).any():
        yw = labels["yawn"] > 0.5
        no = labels["yawn"] < 0.5  # NaN (unlabelled) is neither
        mouth["yawn_images"] = int(yw.sum())
        mouth["jawOpen_mean_yawn"] = _r(jaw[yw].mean())
        mouth["jawOpen_share_yawn_ge_0.5"] = _r(float(np.mean(jaw[yw] >= 0.5)))
        if no.any():
            mouth["not_yawning_images"] = int(no.sum())
            mouth["jawOpen_mean_not_yawning"] = _r(jaw[no].mean())
            mouth["jawOpen_share_not_yawning_ge_0.5"] = _r(float(np.mean(jaw[no] >= 0.5)))
            both = yw | no
            mouth["jawOpen_auc_yawn_vs_not"] = _r(roc_auc(yw[both], jaw[both]))
    if "mouth_open" in labels:
        mo = labels["mouth_open"]
        hm = ~np.isnan(mo) & ~(labels.get("yawn", np.zeros_like(mo)) > 0.5)
        if hm.any() and 0 < (mo[hm] > 0.5).sum() < hm.sum():
            mouth["mouth_open_images"] = int(hm.sum())
            mouth["jawOpen_auc_mouth_open"] = _r(roc_auc(mo[hm] > 0.5, jaw[hm]))
            mouth["jawOpen_mean_open"] = _r(jaw[hm][mo[hm] > 0.5].mean())
            mouth["jawOpen_mean_closed"] = _r(jaw[hm][mo[hm] < 0.5].mean())
    if "smile" in labels:
        s = labels["smile"]
        hs = ~np.isnan(s)
        if hs.any() and 0 < (s[hs] > 0.5).sum() < hs.sum():
            mouth["smile_images"] = int(hs.sum())
            mouth["mouthSmile_auc"] = _r(roc_auc(s[hs] > 0.5, smile[hs]))
            mouth["mouthSmile_mean_smile"] = _r(smile[hs][s[hs] > 0.5].mean())
            mouth["mouthSmile_mean_not"] = _r(smile[hs][s[hs] < 0.5].mean())
    if mouth:
        out["mouth_shapes"] = mouth
    return out


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory when inside it (the report names ``bridge/models``, not whichever
    checkout produced it), else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def evaluate_real(models, folder: Path, out_dir: Path, split: str = "val", log=print, framing: str = "auto") -> dict:
    """Score ``models`` on every labelled set in ``folder``; writes report.json, report.md and confusion PNGs.
    ``framing``: how class-folder face photos are framed (see face_framing)."""
    from bridge.evaluation.report import confusion_png

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict = {"models": _shown_path(Path(models.model_dir)), "split": split, "sets": {}}
    for name, s in load_labelled(folder, split, framing):
        log(f"eval --real: {name}" + (f" (framing: {s['framing']})" if "framing" in s else ""))
        res = _run(models, s["images"], s["view"])
        m = eye_metrics(res, s["labels"]) if s["view"] == "eye" else face_metrics(res, s["labels"])
        views = s.get("views") or {}
        if s["view"] == "face" and "left_eye" in views and "right_eye" in views:
            m["eyes_from_face"] = eyes_from_face_metrics(_run_eye_pairs(models, views["left_eye"], views["right_eye"]),
                                                         s["labels"])
        key = s.get("manifest", {}).get("kind", Path(folder).name)
        if "_confusion" in m:
            cm, names = m.pop("_confusion")
            png = out_dir / f"confusion_real_{key}.png"
            confusion_png(cm, names, f"{key} ({split}): {'eyeBlink >= 0.5' if s['view'] == 'eye' else 'lower face'}",
                          png)
            m["confusion_png"] = png.name
        if "manifest" in s:
            man = s["manifest"]
            m["source"] = {k: man[k] for k in ("name", "repo", "commit", "licence")}
            m["persons"] = man["counts"].get(split, {}).get("persons")
        if "framing" in s:
            m["framing"] = s["framing"]
        if s.get("skipped"):
            m["unreadable_files_skipped"] = s["skipped"]
        report["sets"][key] = {"name": name, "kind": s.get("manifest", {}).get("kind"), "view": s["view"], **m}
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    (out_dir / "report.md").write_text(render_real_markdown(report))
    return report


def render_real_markdown(rep: dict) -> str:
    lines = ["# FaceBridge models on real images", "",
             f"Models: `{rep['models']}`; split: {rep['split']} (validation persons: never trained on; FER2013Valid "
             "was used for model selection). Every image goes through the runtime path (`OnnxFaceModels.predict`), "
             "an eye image as the left eye camera alone, a face image as the lower_face camera alone.", ""]
    for s in rep["sets"].values():
        lines += [f"## {s['name']}", ""]
        if "source" in s:
            src = s["source"]
            lines += [f"Source: {src['name']}, github:{src['repo']} @ `{src['commit']}` ({src['licence']}).", ""]
        if s.get("kind") in SET_NOTES:
            lines += [SET_NOTES[s["kind"]], ""]
        if "framing" in s:
            lines += ["Framing of the face photos (as the webcam layout frames a face): " + ", ".join(
                f"{k}: {v}" for k, v in sorted(s["framing"].items())) + ".", ""]
        if s.get("unreadable_files_skipped"):
            lines += [f"Unreadable image files skipped: {s['unreadable_files_skipped']}.", ""]
        rows = []
        for block in ("open_closed", "visible_iris", "eye_aperture", "mouth_shapes", "eyes_from_face"):
            for k, v in s.get(block, {}).items():
                rows.append(f"| {block}.{k} | {v} |")
        if "fer8" in s:
            for k, v in s["fer8"].items():
                if k != "per_class":
                    rows.append(f"| fer8.{k} | {v} |")
        if rows:
            lines += ["| metric | value |", "|---|---:|"] + rows + [""]
        if "eyes_from_face" in s:
            lines += ["eyes_from_face: the subject's eyes cut from the face box of a NIR frame taken at webcam "
                      "distance, fed as the two eye cameras; NOT headset eye frames (smaller eyes, bright-pupil NIR, "
                      "no lens vignette). No open/closed labels: almost all eyes are open. Valence/arousal = the eyes-"
                      "only output against the set's annotations.", ""]
        if "fer8" in s:
            lines += ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
            lines += [f"| {r['class']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} |"
                      for r in s["fer8"]["per_class"]] + [""]
        if "confusion_png" in s:
            lines += [f"![confusion]({s['confusion_png']})", ""]
    return "\n".join(lines)
