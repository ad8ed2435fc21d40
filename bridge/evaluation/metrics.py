"""Metrics in the papers' formats: per-class tables (Eyemotion), multi-label F1, CCC/SAGR (eyes-only affect)."""

from __future__ import annotations

import numpy as np


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of equal labels (NaN when empty)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if y_true.size else float("nan")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, n) counts; rows = true class, columns = predicted."""
    cm = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(cm, (np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)), 1)
    return cm


def per_class_table(cm: np.ndarray, names: tuple[str, ...]) -> list[dict]:
    """Eyemotion Tables 2-5: precision, recall, F1 and support per class, from a confusion matrix."""
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(1)
    predicted = cm.sum(0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return [{"class": n, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for n, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)]


def macro_f1(cm: np.ndarray) -> float:
    """Mean F1 over classes that occur (support > 0)."""
    rows = per_class_table(cm, tuple(str(i) for i in range(cm.shape[0])))
    vals = [r["f1"] for r in rows if r["support"] > 0]
    return float(np.mean(vals)) if vals else float("nan")


def multilabel_table(y_true: np.ndarray, probs: np.ndarray, names: tuple[str, ...],
                     threshold: float = 0.5) -> list[dict]:
    """Per-label precision/recall/F1/support for independent sigmoid outputs thresholded at ``threshold``."""
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(probs) >= threshold
    tp = (t & p).sum(0).astype(np.float64)
    fp = (~t & p).sum(0).astype(np.float64)
    fn = (t & ~p).sum(0).astype(np.float64)
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return [{"class": n, "precision": float(a), "recall": float(b), "f1": float(c), "support": int(s)}
            for n, a, b, c, s in zip(names, precision, recall, f1, t.sum(0), strict=True)]


def multilabel_macro_f1(y_true: np.ndarray, probs: np.ndarray, threshold: float = 0.5) -> float:
    """Macro F1 over labels that occur in ``y_true``."""
    rows = multilabel_table(y_true, probs, tuple(str(i) for i in range(np.asarray(y_true).shape[1])), threshold)
    vals = [r["f1"] for r in rows if r["support"] > 0]
    return float(np.mean(vals)) if vals else float("nan")


def single_label_top1(y_true_multi: np.ndarray, probs: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Eyemotion's AU protocol: on frames holding exactly ONE AU, is the arg-max the true AU?

    Returns (accuracy, true indices, predicted indices) over those frames.
    """
    t = np.asarray(y_true_multi).astype(bool)
    single = t.sum(1) == 1
    true_idx = np.argmax(t[single], 1)
    pred_idx = np.argmax(np.asarray(probs)[single], 1)
    return accuracy(true_idx, pred_idx), true_idx, pred_idx


def rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, np.float64) - np.asarray(p, np.float64)) ** 2)))


def pearson(y: np.ndarray, p: np.ndarray) -> float:
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    sy, sp = y.std(), p.std()
    return float(((y - y.mean()) * (p - p.mean())).mean() / (sy * sp)) if sy > 0 and sp > 0 else 0.0


def ccc(y: np.ndarray, p: np.ndarray) -> float:
    """Lin's concordance correlation coefficient: 2 cov / (var_y + var_p + (mean_y - mean_p)^2)."""
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    cov = ((y - y.mean()) * (p - p.mean())).mean()
    denom = y.var() + p.var() + (y.mean() - p.mean()) ** 2
    return float(2 * cov / denom) if denom > 0 else 0.0


SAGR_MIN_ABS = 0.05


def sagr(y: np.ndarray, p: np.ndarray, min_abs: float = SAGR_MIN_ABS) -> float:
    """Sign agreement: fraction of samples with sign(p) == sign(y), over samples with |y| >= ``min_abs``.

    A neutral face has valence/arousal exactly 0, whose sign is undefined; counting it would score noise.
    """
    y, p = np.asarray(y), np.asarray(p)
    keep = np.abs(y) >= min_abs
    return float(np.mean(np.sign(y[keep]) == np.sign(p[keep]))) if keep.any() else float("nan")


def regression_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {"rmse": rmse(y, p), "corr": pearson(y, p), "ccc": ccc(y, p), "sagr": sagr(y, p)}


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (probability a random positive outranks a random negative; ties count half).
    NaN when one class is missing."""
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(score, np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), np.float64)
    sorted_s = s[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    def rank(a):
        a = np.asarray(a, np.float64)
        order = np.argsort(a, kind="mergesort")
        _, first, counts = np.unique(a[order], return_index=True, return_counts=True)
        r = np.empty(len(a))
        r[order] = np.repeat(first + (counts - 1) / 2.0, counts)
        return r
    return pearson(rank(x), rank(y))
