"""REFA sec. 8.1 blendshape metrics with explicit formulas (REFA only describes them in words).

Each metric is computed per recording (one (identity, session) sequence in time order), averaged over the recordings
of a subject, then over subjects. A recording without qualifying frames is skipped for that metric.
"""

from __future__ import annotations

import numpy as np

from bridge.schema import BLENDSHAPE_INDEX, BLENDSHAPE_NAMES

# Gaze-driven shapes follow the gaze target, not the expression: excluded from the expression metrics.
LOOK = np.array([n.startswith("eyeLook") for n in BLENDSHAPE_NAMES])
EXPR = ~LOOK
BLINK = (BLENDSHAPE_INDEX["eyeBlinkLeft"], BLENDSHAPE_INDEX["eyeBlinkRight"])
JAW, CLOSE = BLENDSHAPE_INDEX["jawOpen"], BLENDSHAPE_INDEX["mouthClose"]

KEY_SHAPE_MIN = 0.3  # a shape is a "key shape" of a peak expression when its true weight is >= 0.3
ENOUGH_RATIO = 0.7  # ... and it is "activated enough" when predicted >= 0.7 x its true weight
NEUTRAL_GT_MAX = 0.1  # a neutral-hold frame counts when every true expression shape is < 0.1 (no blink)
NEUTRAL_PRED_MAX = 0.2  # ... and passes when every predicted expression shape is < 0.2
SMOOTH_EPS = 0.002
EYE_CLOSED_GT = 0.9  # the user's eye is fully closed when true eyeBlink >= 0.9 (winks included)
EYE_CLOSED_PRED = 0.8  # the avatar's eye counts as fully closed when predicted eyeBlink >= 0.8
MOUTH_CLOSED_GT = 0.02  # the user's lips are closed when max(0, jawOpen - mouthClose) <= 0.02
MOUTH_CLOSED_PRED = 0.1  # the avatar's lips count as closed when the predicted gap <= 0.1

FORMULAS = f"""\
Per recording r (one identity+session, frames in time order), P = predicted, G = true blendshapes; E = the 44
expression shapes (all but the 8 gaze-driven eyeLook* shapes):
- semantic_accuracy = mean over peak frames t (label `peak`) and key shapes j in E with G[t,j] >= {KEY_SHAPE_MIN} of
  [P[t,j] >= {ENOUGH_RATIO} * G[t,j]]  (artist expectations of REFA replaced by the exact synthetic labels)
- neutralness = fraction of neutral-hold frames with max_j in E G[t,j] < {NEUTRAL_GT_MAX} for which
  max_j in E P[t,j] < {NEUTRAL_PRED_MAX}
- smoothness = mean over j in E active in r (max G or max P >= 0.05) of min(1, (mean|d2 G_j| + {SMOOTH_EPS}) /
  (mean|d2 P_j| + {SMOOTH_EPS})), d2 = second difference over time: 1 when the prediction is no rougher than the truth
- eye_closure = over (frame, eye) with G[eyeBlink] >= {EYE_CLOSED_GT}: fraction with P[eyeBlink] >= {EYE_CLOSED_PRED}
- mouth_closure = over non-neutral-hold frames with max(0, G[jawOpen] - G[mouthClose]) <= {MOUTH_CLOSED_GT}: fraction
  with max(0, P[jawOpen] - P[mouthClose]) <= {MOUTH_CLOSED_PRED}
Aggregation: per recording -> mean over a subject's recordings -> mean over subjects (REFA's three levels).
The required keys use the raw per-frame model output. The extra "after causal EMA" numbers first smooth each
recording with y_t = a P_t + (1 - a) y_(t-1), a = 0.5. The "after the tracking filter" numbers run the product's
own One Euro filter (bridge.tracking.filters, shipped shape defaults min_cutoff 1 Hz, beta 8, d_cutoff 1 Hz: it keeps
0.986 of a 100 ms blink) over each recording's timestamps: that is the output the live bridge sends.
"""


def recording_metrics(pred: np.ndarray, gt: np.ndarray, peak: np.ndarray, neutral_hold: np.ndarray) -> dict:
    """The five metrics for one recording (arrays in time order); NaN where the recording has no qualifying frame."""
    out = {}
    ge, pe = gt[:, EXPR], pred[:, EXPR]
    key = (ge >= KEY_SHAPE_MIN) & peak[:, None]
    out["semantic_accuracy"] = float((pe >= ENOUGH_RATIO * ge)[key].mean()) if key.any() else np.nan
    neutral = neutral_hold & (ge.max(1) < NEUTRAL_GT_MAX)
    out["neutralness"] = float((pe[neutral].max(1) < NEUTRAL_PRED_MAX).mean()) if neutral.any() else np.nan
    if len(gt) >= 3:
        active = (ge.max(0) >= 0.05) | (pe.max(0) >= 0.05)  # jitter on a shape that should rest counts too
        d2g = np.abs(np.diff(ge, 2, axis=0)).mean(0)
        d2p = np.abs(np.diff(pe, 2, axis=0)).mean(0)
        ratio = np.minimum(1.0, (d2g + SMOOTH_EPS) / (d2p + SMOOTH_EPS))
        out["smoothness"] = float(ratio[active].mean()) if active.any() else np.nan
    else:
        out["smoothness"] = np.nan
    closed = gt[:, BLINK] >= EYE_CLOSED_GT
    out["eye_closure"] = float((pred[:, BLINK] >= EYE_CLOSED_PRED)[closed].mean()) if closed.any() else np.nan
    gap_g = np.maximum(0.0, gt[:, JAW] - gt[:, CLOSE])
    gap_p = np.maximum(0.0, pred[:, JAW] - pred[:, CLOSE])
    lips = (gap_g <= MOUTH_CLOSED_GT) & ~neutral_hold
    out["mouth_closure"] = float((gap_p[lips] <= MOUTH_CLOSED_PRED).mean()) if lips.any() else np.nan
    return out


def refa_metrics(pred: np.ndarray, gt: np.ndarray, identity: np.ndarray, session: np.ndarray, time: np.ndarray,
                 peak: np.ndarray, neutral_hold: np.ndarray) -> dict:
    """Dataset-level REFA metrics plus the per-subject breakdown ({metric: value, 'per_subject': {...}})."""
    names = ("semantic_accuracy", "neutralness", "smoothness", "eye_closure", "mouth_closure")
    per_subject: dict[int, dict[str, float]] = {}
    for ident in np.unique(identity):
        rows = []
        for sess in np.unique(session[identity == ident]):
            idx = np.flatnonzero((identity == ident) & (session == sess))
            idx = idx[np.argsort(time[idx], kind="stable")]
            rows.append(recording_metrics(pred[idx], gt[idx], peak[idx].astype(bool), neutral_hold[idx].astype(bool)))
        per_subject[int(ident)] = {n: _nanmean([r[n] for r in rows]) for n in names}
    result: dict[str, object] = {n: _nanmean([s[n] for s in per_subject.values()]) for n in names}
    result["per_subject"] = per_subject
    return result


def causal_ema(pred: np.ndarray, identity: np.ndarray, session: np.ndarray, time: np.ndarray,
               alpha: float = 0.5) -> np.ndarray:
    """Per-recording causal exponential smoothing y_t = a x_t + (1 - a) y_(t-1) (Eyemotion smooths its outputs the
    same way in its application). Used for the extra 'as deployed with light smoothing' REFA numbers."""
    out = np.empty_like(pred)
    keys = np.stack([identity, session], 1)
    for key in np.unique(keys, axis=0):
        idx = np.flatnonzero((keys == key).all(1))
        idx = idx[np.argsort(time[idx], kind="stable")]
        y = pred[idx[0]].astype(np.float64)
        for i in idx:
            y = alpha * pred[i] + (1.0 - alpha) * y
            out[i] = y
    return out


def one_euro_filtered(pred: np.ndarray, identity: np.ndarray, session: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Per-recording output of the product's own tracking filter: bridge.tracking's One Euro filter with the shipped
    shape defaults (bridge/tracking/config.py -> FilterConfig.shapes), run causally over each recording's timestamps.
    This is what the live bridge sends, so its REFA numbers are the system's numbers."""
    from bridge.tracking.filters import FilterConfig, OneEuroFilter

    params = FilterConfig().shapes
    out = np.empty_like(pred)
    keys = np.stack([identity, session], 1)
    n = pred.shape[1]
    for key in np.unique(keys, axis=0):
        idx = np.flatnonzero((keys == key).all(1))
        idx = idx[np.argsort(time[idx], kind="stable")]
        filt = OneEuroFilter.from_groups([(params, n)], np.zeros(n))
        for i in idx:
            out[i] = filt.update(pred[i], float(time[i]))
    return out


def _nanmean(values) -> float:
    arr = np.asarray(values, np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")
