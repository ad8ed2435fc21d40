"""Run the shipped ONNX models over a held-out split and compute every metric of the report (no torch)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.evaluation import metrics as M
from bridge.evaluation.data import SplitData
from bridge.evaluation.refa import causal_ema, one_euro_filtered, refa_metrics
from bridge.inference.fusion import fuse
from bridge.inference.onnx_models import OnnxFaceModels
from bridge.inference.preprocess import hide_upper_half
from bridge.inference.types import ModelInputs
from bridge.schema import AU10, EMOTIVE5, FER8

CHUNK = 256
EMA_ALPHA = 0.5  # extra REFA numbers after a light causal exponential smoothing (the raw ones are the required keys)


@dataclass
class Predictions:
    """Every model output for every frame of a split (batched onnxruntime runs)."""

    shapes: np.ndarray
    gaze: np.ndarray
    openness: np.ndarray
    emotive5: np.ndarray
    emotive5_raw: np.ndarray  # without personalization
    au10: np.ndarray
    au10_raw: np.ndarray
    eyes8: np.ndarray
    valence_arousal: np.ndarray
    mouth8: np.ndarray
    lower_face8: np.ndarray
    shapes8: np.ndarray
    fused8: np.ndarray


def _f(u8: np.ndarray) -> np.ndarray:
    return (u8.astype(np.float32) / 255.0)[:, None]


def predict_split(models: OnnxFaceModels, data: SplitData) -> Predictions:
    """Batched predictions (personalized and not) for every model; needs the full model set."""
    cols: dict[str, list] = {}
    for s in range(0, len(data), CHUNK):
        idx = np.arange(s, min(len(data), s + CHUNK))
        left, right, mouth = (_f(data.views[v][idx]) for v in ("left_eye", "right_eye", "mouth"))
        lower = _f(np.stack([hide_upper_half(x) for x in data.views["lower_face"][idx]]))
        pair = np.concatenate([left, right], axis=3)
        si = data.session_index[idx]
        ref = np.concatenate([data.neutral["left_eye"][si], data.neutral["right_eye"][si]], axis=2)[:, None]
        shapes, gaze, openness = models.run_batch("blendshapes", left, right, mouth)
        e5, au, e8, va = models.run_batch("eyemotion", np.concatenate([pair, pair - ref], axis=1))
        e5r, aur, _, _ = models.run_batch("eyemotion", np.concatenate([pair, np.zeros_like(pair)], axis=1))
        parts = {
            "shapes": shapes, "gaze": gaze, "openness": openness, "emotive5": e5, "emotive5_raw": e5r, "au10": au,
            "au10_raw": aur, "eyes8": e8, "valence_arousal": va,
            "mouth8": models.run_batch("mouth8", mouth)[0], "lower_face8": models.run_batch("lower_face8", lower)[0],
            "shapes8": models.run_batch("expression_vector8", shapes)[0],
        }
        for k, v in parts.items():
            cols.setdefault(k, []).append(v)
    out: dict[str, Any] = {k: np.concatenate(v) for k, v in cols.items()}
    out["fused8"] = fuse({"eyes": out["eyes8"], "mouth": out["mouth8"], "lower_face": out["lower_face8"],
                          "shapes": out["shapes8"]}, models.fusion)
    return Predictions(**out)


def classification_block(y: np.ndarray, probs: np.ndarray, names: tuple[str, ...]) -> dict:
    """accuracy, macro F1, per-class table and confusion matrix over frames with a label (y >= 0)."""
    keep = y >= 0
    pred = probs[keep].argmax(1)
    cm = M.confusion_matrix(y[keep], pred, len(names))
    return {"accuracy": M.accuracy(y[keep], pred), "macro_f1": M.macro_f1(cm), "support": int(keep.sum()),
            "per_class": M.per_class_table(cm, names), "confusion": cm.tolist()}


def measure_latency(models: OnnxFaceModels, data: SplitData, frames: int) -> dict:
    """Per-frame wall time of predict() (every model, batch 1, personalized) on one thread: p50/p99 in ms."""
    idx = np.linspace(0, len(data) - 1, min(frames, len(data))).astype(int)
    si = data.session_index[idx[0]]
    neutral = {v: data.neutral[v][si] for v in ("left_eye", "right_eye")}
    inputs = []
    for i in idx:
        imgs = {v: data.views[v][i].astype(np.float32) / 255.0 for v in ("left_eye", "right_eye", "mouth")}
        imgs["lower_face"] = hide_upper_half(data.views["lower_face"][i]).astype(np.float32) / 255.0
        inputs.append(ModelInputs(imgs))
    for inp in inputs[:20]:  # warm-up (allocations, first-run graph optimisation)
        models.predict(inp, neutral)
    times = np.empty(len(inputs))
    for k, inp in enumerate(inputs):
        t0 = time.perf_counter()
        models.predict(inp, neutral)
        times[k] = time.perf_counter() - t0
    ms = times * 1000.0
    return {"all_models_p50": float(np.median(ms)), "all_models_p99": float(np.percentile(ms, 99)),
            "all_models_mean": float(ms.mean()), "frames": int(len(ms))}


def evaluate(models: OnnxFaceModels, data: SplitData, latency_frames: int = 1000) -> dict:
    """The whole report as a nested dict (see bridge/evaluation/report.py for the file formats)."""
    p = predict_split(models, data)
    lab = data.labels
    rep: dict = {"data": {"frames": len(data), "identities": int(len(np.unique(lab["identity"]))),
                          "recordings": int(len(np.unique(data.session_index)))}}

    e5 = classification_block(lab["emotive5"].astype(int), p.emotive5, EMOTIVE5)
    e5_raw = classification_block(lab["emotive5"].astype(int), p.emotive5_raw, EMOTIVE5)
    rep["emotive5"] = {"accuracy": e5["accuracy"], "accuracy_without_personalization": e5_raw["accuracy"],
                       "personalization_gain": e5["accuracy"] - e5_raw["accuracy"], "macro_f1": e5["macro_f1"],
                       "macro_f1_without_personalization": e5_raw["macro_f1"], "per_class": e5["per_class"],
                       "per_class_without_personalization": e5_raw["per_class"], "confusion": e5["confusion"]}

    au_true = lab["au10"].astype(bool)
    top1, ti, pi = M.single_label_top1(au_true, p.au10)
    top1_raw, _, pi_raw = M.single_label_top1(au_true, p.au10_raw)
    cm_au = M.confusion_matrix(ti, pi, len(AU10))
    rep["au10"] = {"accuracy": top1, "accuracy_without_personalization": top1_raw,
                   "single_au_frames": int(len(ti)),
                   "macro_f1": M.multilabel_macro_f1(au_true, p.au10),
                   "macro_f1_without_personalization": M.multilabel_macro_f1(au_true, p.au10_raw),
                   "per_class_single_au": M.per_class_table(cm_au, AU10), "confusion": cm_au.tolist(),
                   "per_label_multilabel": M.multilabel_table(au_true, p.au10, AU10)}

    y8 = lab["fer8"].astype(int)
    mouth, lower = classification_block(y8, p.mouth8, FER8), classification_block(y8, p.lower_face8, FER8)
    shapes8, fused = classification_block(y8, p.shapes8, FER8), classification_block(y8, p.fused8, FER8)
    eyes8 = classification_block(y8, p.eyes8, FER8)
    rep["lower_face8"] = {"mouth_camera_accuracy": mouth["accuracy"], "external_camera_accuracy": lower["accuracy"],
                          "mouth_camera_macro_f1": mouth["macro_f1"], "external_camera_macro_f1": lower["macro_f1"],
                          "mouth_camera": mouth, "external_camera": lower}
    rep["expression_vector8"] = {"accuracy": shapes8["accuracy"], "macro_f1": shapes8["macro_f1"],
                                 "per_class": shapes8["per_class"], "confusion": shapes8["confusion"]}
    rep["eyes8"] = {"accuracy": eyes8["accuracy"], "macro_f1": eyes8["macro_f1"]}
    rep["fused8"] = {"accuracy": fused["accuracy"], "macro_f1": fused["macro_f1"], "per_class": fused["per_class"],
                     "confusion": fused["confusion"], "weights": dict(models.fusion.weights)}

    gt = lab["blendshapes"].astype(np.float32)
    refa = refa_metrics(p.shapes, gt, lab["identity"], lab["session"], lab["time"], lab["peak"], lab["neutral_hold"])
    per_subject = refa.pop("per_subject")
    smoothed = causal_ema(p.shapes, lab["identity"], lab["session"], lab["time"], EMA_ALPHA)
    refa_ema = refa_metrics(smoothed, gt, lab["identity"], lab["session"], lab["time"], lab["peak"],
                            lab["neutral_hold"])
    refa_ema.pop("per_subject")
    filtered = one_euro_filtered(p.shapes, lab["identity"], lab["session"], lab["time"])
    refa_filtered = refa_metrics(filtered, gt, lab["identity"], lab["session"], lab["time"], lab["peak"],
                                 lab["neutral_hold"])
    refa_filtered.pop("per_subject")
    rep["blendshapes"] = {"mae": float(np.abs(p.shapes - gt).mean()), "refa": refa, "refa_ema": refa_ema,
                          "refa_tracking_filter": refa_filtered,
                          "mae_tracking_filter": float(np.abs(filtered - gt).mean()),
                          "ema_alpha": EMA_ALPHA,
                          "refa_per_subject": {str(k): v for k, v in per_subject.items()},
                          "gaze_mae_deg": float(np.abs(p.gaze - lab["gaze"]).mean()),
                          "openness_mae": float(np.abs(np.clip(p.openness, 0, 1) - lab["openness"]).mean()),
                          "eye_shapes_mae": float(np.abs(p.shapes[:, :14] - gt[:, :14]).mean()),
                          "other_shapes_mae": float(np.abs(p.shapes[:, 14:] - gt[:, 14:]).mean())}
    rep["affect"] = {"valence": M.regression_metrics(lab["valence"], p.valence_arousal[:, 0]),
                     "arousal": M.regression_metrics(lab["arousal"], p.valence_arousal[:, 1])}
    rep["latency_ms"] = measure_latency(models, data, latency_frames)
    return rep
