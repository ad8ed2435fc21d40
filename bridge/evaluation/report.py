"""Write the evaluation report: report.json (nested + the dotted keys), report.md (paper-style tables), PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from bridge.evaluation.refa import FORMULAS
from bridge.schema import AU10, EMOTIVE5, FER8

# The keys the issue requires, as dotted paths into the nested report.
REQUIRED_KEYS: tuple[str, ...] = (
    "emotive5.accuracy", "emotive5.accuracy_without_personalization", "emotive5.macro_f1",
    "au10.accuracy", "au10.macro_f1", "au10.macro_f1_without_personalization",
    "lower_face8.mouth_camera_accuracy", "lower_face8.external_camera_accuracy",
    "expression_vector8.accuracy", "fused8.accuracy",
    "blendshapes.mae", "blendshapes.refa.semantic_accuracy", "blendshapes.refa.neutralness",
    "blendshapes.refa.smoothness", "blendshapes.refa.eye_closure", "blendshapes.refa.mouth_closure",
    "affect.valence.rmse", "affect.valence.corr", "affect.valence.ccc", "affect.valence.sagr",
    "affect.arousal.rmse", "affect.arousal.corr", "affect.arousal.ccc", "affect.arousal.sagr",
    "latency_ms.all_models_p50", "latency_ms.all_models_p99",
)
# Published reference numbers for the comparison columns.
REFA_FINAL = {"semantic_accuracy": 0.700, "neutralness": 0.774, "smoothness": 0.868, "eye_closure": 0.936,
              "mouth_closure": 0.905}


def lookup(report: dict, dotted: str):
    node = report
    for part in dotted.split("."):
        node = node[part]
    return node


def with_dotted_keys(report: dict) -> dict:
    """The nested report plus every required key also at top level under its dotted name (either lookup works)."""
    out = dict(report)
    for key in REQUIRED_KEYS:
        out[key] = float(lookup(report, key))
    return out


def confusion_png(cm: np.ndarray, names: tuple[str, ...], title: str, path: Path, cell: int = 56) -> None:
    """Row-normalised confusion matrix as a PNG (rows = true, columns = predicted; counts in cells)."""
    cm = np.asarray(cm, np.float64)
    n = len(names)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    left, top = 130, 150
    img = np.full((top + n * cell + 20, left + n * cell + 20, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, title, (10, 24), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "rows: true, columns: predicted", (10, 46), font, 0.45, (80, 80, 80), 1, cv2.LINE_AA)
    for i in range(n):
        cv2.putText(img, names[i][:14], (6, top + i * cell + cell // 2 + 5), font, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
        # column labels written vertically: draw on a small canvas and rotate
        lab = np.full((cell, 95, 3), 255, np.uint8)
        cv2.putText(lab, names[i][:12], (2, cell // 2 + 5), font, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
        rotated = cv2.rotate(lab, cv2.ROTATE_90_COUNTERCLOCKWISE)
        img[top - 95 - 5:top - 5, left + i * cell:left + (i + 1) * cell] = rotated
        for j in range(n):
            v = norm[i, j]
            shade = int(255 - 200 * v)
            colour = (255, shade, shade) if i != j else (shade, 255, shade)
            x0, y0 = left + j * cell, top + i * cell
            cv2.rectangle(img, (x0, y0), (x0 + cell - 2, y0 + cell - 2), colour, -1)
            cv2.putText(img, f"{int(cm[i, j])}", (x0 + 4, y0 + cell // 2 + 5), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")


def _table(rows: list[dict]) -> str:
    lines = ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['class']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} |"
              for r in rows]
    return "\n".join(lines)


def render_markdown(rep: dict, title: str) -> str:
    d = rep["data"]
    b = rep["blendshapes"]
    refa = b["refa"]
    lat = rep["latency_ms"]
    parts = [
        f"# {title}",
        "",
        f"Held-out data: {d['frames']} frames, {d['identities']} identities, {d['recordings']} recordings "
        "(identities never seen in training or validation).",
        "",
        "## Summary",
        "",
        "| metric | value | target | paper |",
        "|---|---:|---:|---:|",
        f"| emotive5 accuracy (personalized) | {rep['emotive5']['accuracy']:.3f} | >= 0.90 | Eyemotion 0.737 |",
        f"| emotive5 accuracy (not personalized) | {rep['emotive5']['accuracy_without_personalization']:.3f} | "
        "| Eyemotion 0.666 |",
        f"| emotive5 macro F1 | {rep['emotive5']['macro_f1']:.3f} | | |",
        f"| AU10 top-1 on single-AU frames | {rep['au10']['accuracy']:.3f} | >= 0.85 | Eyemotion 0.702 |",
        f"| AU10 top-1 without personalization | {rep['au10']['accuracy_without_personalization']:.3f} | "
        "| Eyemotion 0.637 |",
        f"| AU10 multi-label macro F1 (0.5) | {rep['au10']['macro_f1']:.3f} | | |",
        f"| AU10 macro F1 without personalization | {rep['au10']['macro_f1_without_personalization']:.3f} | | |",
        f"| FER8 from mouth camera | {rep['lower_face8']['mouth_camera_accuracy']:.3f} | >= 0.90 | |",
        f"| FER8 from external lower-face crop | {rep['lower_face8']['external_camera_accuracy']:.3f} | >= 0.90 | "
        "VGG-face lower half 0.823 (FER+) |",
        f"| FER8 from eyes (fusion source) | {rep['eyes8']['accuracy']:.3f} | | |",
        f"| FER8 from the expression vector | {rep['expression_vector8']['accuracy']:.3f} | | DeepExp3D 0.82-0.98 |",
        f"| FER8 fused | {rep['fused8']['accuracy']:.3f} | | |",
        f"| blendshape MAE | {b['mae']:.4f} | <= 0.05 | |",
        f"| gaze MAE (deg) / openness MAE | {b['gaze_mae_deg']:.2f} / {b['openness_mae']:.3f} | | |",
    ]
    for k, v in REFA_FINAL.items():
        parts.append(f"| REFA {k} (raw per-frame output) | {refa[k]:.3f} | > {v} | REFA final {v} |")
    if "refa_ema" in b:
        for k in REFA_FINAL:
            parts.append(f"| REFA {k} after causal EMA (alpha {b['ema_alpha']}) | {b['refa_ema'][k]:.3f} | | |")
    if "refa_tracking_filter" in b:
        for k, v in REFA_FINAL.items():
            parts.append(f"| REFA {k} after the bridge's One Euro tracking filter (what the bridge sends) | "
                         f"{b['refa_tracking_filter'][k]:.3f} | > {v} | |")
    for dim in ("valence", "arousal"):
        a = rep["affect"][dim]
        parts.append(f"| {dim} RMSE / CORR / CCC / SAGR | {a['rmse']:.3f} / {a['corr']:.3f} / {a['ccc']:.3f} / "
                     f"{a['sagr']:.3f} | CCC >= 0.75, SAGR >= 0.85 | |")
    parts += [
        f"| latency, all models, p50 / p99 (ms) | {lat['all_models_p50']:.3f} / {lat['all_models_p99']:.3f} | "
        "p99 <= 1 | |",
        "",
        "Latency: `OnnxFaceModels.predict` on one pre-cropped frame set through every model (batch 1, one "
        f"intra-op thread, personalized), {lat['frames']} frames after warm-up, on this shared machine.",
        "",
        "## Eyemotion: emotive classes (personalized), as Tables 2-3",
        "",
        _table(rep["emotive5"]["per_class"]),
        "",
        "Without personalization:",
        "",
        _table(rep["emotive5"]["per_class_without_personalization"]),
        "",
        "![emotive5 confusion](confusion_emotive5.png)",
        "",
        "## Eyemotion: action units, single-AU frames top-1 (Eyemotion's protocol), as Tables 4-5",
        "",
        f"{rep['au10']['single_au_frames']} frames hold exactly one AU.",
        "",
        _table(rep["au10"]["per_class_single_au"]),
        "",
        "Multi-label (all frames, each AU thresholded at 0.5):",
        "",
        _table(rep["au10"]["per_label_multilabel"]),
        "",
        "![au10 confusion](confusion_au10.png)",
        "",
        "## Lower-face expressions (8 FER+ classes)",
        "",
        "Headset mouth camera:",
        "",
        _table(rep["lower_face8"]["mouth_camera"]["per_class"]),
        "",
        "External camera, upper half hidden:",
        "",
        _table(rep["lower_face8"]["external_camera"]["per_class"]),
        "",
        "![mouth confusion](confusion_mouth8.png) ![lower face confusion](confusion_lower_face8.png)",
        "",
        "## Expression vector (DeepExp3D) and fusion",
        "",
        _table(rep["expression_vector8"]["per_class"]),
        "",
        "Fused (log-linear pooling, weights " + ", ".join(f"{k} {v:.2f}" for k, v in rep["fused8"]["weights"].items())
        + "):",
        "",
        _table(rep["fused8"]["per_class"]),
        "",
        "![expression vector confusion](confusion_expression_vector8.png) ![fused confusion](confusion_fused8.png)",
        "",
        "## REFA metrics: exact definitions used here",
        "",
        "```",
        FORMULAS.rstrip(),
        "```",
        "",
        "| subject | " + " | ".join(REFA_FINAL) + " |",
        "|---|" + "---:|" * len(REFA_FINAL),
    ]
    for sid, vals in b["refa_per_subject"].items():
        parts.append(f"| {sid} | " + " | ".join(f"{vals[k]:.3f}" for k in REFA_FINAL) + " |")
    parts += ["", "## Affect metrics", "",
              "RMSE; CORR = Pearson r; CCC = 2 cov(y, p) / (var y + var p + (mean y - mean p)^2); "
              "SAGR = fraction of frames where sign(p) = sign(y), over frames with |y| >= 0.05 (a neutral face has "
              "y = 0 exactly, whose sign is undefined).", ""]
    return "\n".join(parts) + "\n"


def write_report(rep: dict, out_dir: Path, title: str = "FaceBridge model evaluation") -> dict:
    """Write report.json, report.md and the confusion PNGs into ``out_dir``; returns the JSON dict written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    confusion_png(np.array(rep["emotive5"]["confusion"]), EMOTIVE5, "emotive5 (personalized)",
                  out_dir / "confusion_emotive5.png")
    confusion_png(np.array(rep["au10"]["confusion"]), AU10, "AU10 single-AU frames", out_dir / "confusion_au10.png")
    confusion_png(np.array(rep["lower_face8"]["mouth_camera"]["confusion"]), FER8, "FER8 mouth camera",
                  out_dir / "confusion_mouth8.png")
    confusion_png(np.array(rep["lower_face8"]["external_camera"]["confusion"]), FER8, "FER8 external lower face",
                  out_dir / "confusion_lower_face8.png")
    confusion_png(np.array(rep["expression_vector8"]["confusion"]), FER8, "FER8 expression vector",
                  out_dir / "confusion_expression_vector8.png")
    confusion_png(np.array(rep["fused8"]["confusion"]), FER8, "FER8 fused", out_dir / "confusion_fused8.png")
    data = with_dotted_keys(rep)
    (out_dir / "report.json").write_text(json.dumps(data, indent=1, default=_json_default))
    (out_dir / "report.md").write_text(render_markdown(rep, title))
    return data


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")
