"""The openness readout refit: after the blendshape band mean, re-fit the one output row that reads `openness` from
the per-eye features, so that it ranks real eyes by how wide they are open.

Why a readout refit and not another loss term in training: the openness row is one linear readout (``eye_head``'s
last layer, row OPENNESS_ROW) of features that already separate open from closed real eyes; its training signal on
real eyes is coarse (MRL open/closed, ITMO/MMU visible iris), so among OPEN eyes it followed the renders' lid model,
which ranks real squints and wide eyes poorly (Spearman 0.71 with the landmark aperture on the smile-eyes validation
persons). Refitting that single row on frozen features against every label kind at once (renders: the exact
openness; MRL: closed 0 / open >= OPEN_MIN; iris masks: visible fraction; smile-eyes: the landmark aperture, as
ranks) leaves the 52 shapes, gaze, the eye guard and the output calibration untouched, is deterministic, and takes
about a minute. Measured in docs/models.md ("Openness readout").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from bridge.evaluation.data import SplitData
from bridge.evaluation.metrics import roc_auc, spearman
from bridge.training import nets
from bridge.training.real import Pool
from bridge.training.real_tasks import (
    APERTURE_MARGIN,
    APERTURE_TEMPERATURE,
    OPEN_MIN,
    VISIBLE_AT_OPEN,
    camera_augment_eyes,
    rank_loss,
    rank_pairs,
)

OPENNESS_ROW = 9  # eye_head output: 7 eye shapes, gaze yaw, gaze pitch, openness


@dataclass(frozen=True)
class ReadoutConfig:
    """Weights of the refit's loss terms and its sampling. The rank weight trades the renders' openness MAE (0.048
    -> 0.064 on the validation identities at weight 1) for real-eye ranking; chosen on the smile-eyes and MRL
    validation persons (docs/models.md)."""

    rank_weight: float = 1.0
    rank_margin: float = APERTURE_MARGIN
    rank_temperature: float = APERTURE_TEMPERATURE
    rank_pairs: int = 200_000  # a fixed sample of the ordered pairs (all of them: ~10 M)
    stay_close: float = 1.0  # L2 pull toward the trained row: keep what training learned where labels are silent
    steps: int = 400
    lr: float = 3e-3
    synthetic_frames: int = 6000
    real_per_source: int = 8000
    augmented_copies: int = 2
    seed: int = 0


@dataclass
class ReadoutData:
    """Frozen per-eye features (right-eye orientation) and their labels: renders and real eyes."""

    synth: torch.Tensor  # (Ns, H)
    synth_openness: torch.Tensor  # (Ns,)
    real: torch.Tensor  # (Nr, H)
    closed: torch.Tensor  # (Nr,) NaN where unknown
    visible: torch.Tensor
    aperture: torch.Tensor


def eye_features(net: nets.BlendshapeNet, x: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    """The hidden layer the openness row reads, for eye crops ``x`` (B, 1, S, S) 0..1 already in right-eye
    orientation (a left eye mirrored, as the net does)."""
    net.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(x), batch):
            f = net.eye_encoder(x[s:s + batch])
            out.append(net.eye_head[1](net.eye_head[0](f)))
    return torch.cat(out) if out else torch.zeros(0, net.eye_head[0].out_features)


def _synthetic(net: nets.BlendshapeNet, split: SplitData, n: int, rng: np.random.Generator):
    idx = np.sort(rng.choice(len(split), min(n, len(split)), replace=False))
    left = torch.from_numpy(split.views["left_eye"][idx]).float().div(255).unsqueeze(1).flip(-1)
    right = torch.from_numpy(split.views["right_eye"][idx]).float().div(255).unsqueeze(1)
    y = split.labels["openness"][idx]
    return eye_features(net, torch.cat([left, right])), torch.from_numpy(np.r_[y[:, 0], y[:, 1]]).float()


def real_eye_features(net: nets.BlendshapeNet, pool: Pool, idx: np.ndarray, copies: int, g: torch.Generator):
    """Features of pool rows ``idx``: as imported, plus ``copies`` camera-augmented versions (as training saw them)."""
    x = torch.from_numpy(pool.images[idx]).float().div(255).unsqueeze(1)
    left = torch.from_numpy(pool.labels["side"][idx] == 0)
    x[left] = x[left].flip(-1)
    feats = [eye_features(net, x)]
    no_pupil = np.full((len(idx), 2), np.nan, np.float32)
    for _ in range(copies):
        feats.append(eye_features(net, camera_augment_eyes(x.clone(), no_pupil, g)[0]))
    lab = {k: torch.from_numpy(np.tile(pool.labels[k][idx], copies + 1)).float()
           for k in ("closed", "visible", "aperture")}
    return torch.cat(feats), lab


def readout_data(net: nets.BlendshapeNet, split: SplitData, eyes: Pool, cfg: ReadoutConfig,
                 augment: bool = True) -> ReadoutData:
    """Features and labels for the refit: a fixed sample of render frames (both eyes) and of every real eye source
    (at most ``real_per_source`` crops of a big source; every crop of a source with aperture labels). Without
    ``augment`` (validation): the crops as imported only."""
    rng = np.random.default_rng(cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed)
    hs, ys = _synthetic(net, split, cfg.synthetic_frames, rng)
    idx = []
    for s in range(len(eyes.names)):
        members = np.flatnonzero(eyes.source == s)
        ranked = ~np.isnan(eyes.labels["aperture"][members])
        if len(members) > cfg.real_per_source and not ranked.any():
            members = np.sort(rng.choice(members, cfg.real_per_source, replace=False))
        idx.append(members)
    hr, lab = real_eye_features(net, eyes, np.concatenate(idx), cfg.augmented_copies if augment else 0, g)
    return ReadoutData(hs, ys, hr, lab["closed"], lab["visible"], lab["aperture"])


def readout_loss(w: torch.Tensor, b: torch.Tensor, data: ReadoutData, pairs: torch.Tensor, w0: torch.Tensor,
                 cfg: ReadoutConfig) -> torch.Tensor:
    """Renders: L1 to the exact openness; real open/closed: closed -> 0, open -> >= OPEN_MIN; visible iris fraction
    -> openness (as in training, real_tasks.eye_state_loss); aperture -> ranks over ``pairs`` (indices into the
    real samples); plus the pull toward ``w0``."""
    loss = (data.synth @ w + b - data.synth_openness).abs().mean()
    o = data.real @ w + b
    hc = ~torch.isnan(data.closed)
    if bool(hc.any()):
        c = data.closed[hc]
        loss = loss + torch.where(c > 0.5, o[hc].abs(), F.relu(OPEN_MIN - o[hc])).mean()
    hv = ~torch.isnan(data.visible)
    if bool(hv.any()):
        loss = loss + (o[hv] - (data.visible[hv] / VISIBLE_AT_OPEN).clamp(0, 1)).abs().mean()
    loss = loss + cfg.rank_weight * rank_loss(o, pairs, cfg.rank_temperature)
    return loss + cfg.stay_close * ((w - w0) ** 2).sum()


def fit_readout(data: ReadoutData, w0: torch.Tensor, b0: torch.Tensor,
                cfg: ReadoutConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The refitted (weights, bias) of the openness row: Adam from the trained row, full batch, ``cfg.steps``."""
    ranked = torch.nonzero(~torch.isnan(data.aperture)).flatten()
    pairs = ranked[rank_pairs(data.aperture[ranked], cfg.rank_margin, cfg.rank_pairs, cfg.seed)]
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    opt = torch.optim.Adam([w, b], lr=cfg.lr)
    for _ in range(cfg.steps):
        loss = readout_loss(w, b, data, pairs, w0, cfg)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return w.detach(), b.detach()


def readout_metrics(w: torch.Tensor, b: torch.Tensor, data: ReadoutData) -> dict:
    """What the refit is judged on, for the log and the card: render openness MAE, real open/closed openness AUC,
    Spearman with the visible iris fraction and with the landmark aperture."""
    os_ = (data.synth @ w + b).clamp(0, 1).numpy()
    o = (data.real @ w + b).clamp(0, 1).numpy()
    out = {"render_openness_mae": float(np.abs(os_ - data.synth_openness.numpy()).mean())}
    c, v, a = data.closed.numpy(), data.visible.numpy(), data.aperture.numpy()
    hc, hv, ha = ~np.isnan(c), ~np.isnan(v), ~np.isnan(a)
    if hc.any() and 0 < (c[hc] > 0.5).sum() < hc.sum():
        out["open_closed_openness_auc"] = roc_auc(c[hc] < 0.5, o[hc])
    if hv.sum() > 2:
        out["visible_iris_spearman"] = spearman(v[hv], o[hv])
    if ha.sum() > 2:
        out["aperture_spearman"] = spearman(a[ha], o[ha])
        out["aperture_share_open"] = float(np.mean(o[ha] >= 0.5))
    return {k: round(float(x), 4) for k, x in out.items()}


def has_apertures(eyes: Pool | None) -> bool:
    """True when the real eye pool holds eye-aperture labels (the smile-eyes import): the refit has something to do."""
    return eyes is not None and bool((~np.isnan(eyes.labels["aperture"])).any())


def readout_skipped(log: Callable[[str], None] = print) -> dict:
    """The summary (and log line) of a run without real eye apertures: the openness row stays as trained."""
    log("openness readout: no real eye apertures imported (smile-eyes); left as trained")
    return {"refit": False, "reason": "no real eye apertures (import smile-eyes)"}


def refit_openness(net: nets.BlendshapeNet, train: SplitData, val: SplitData, eyes: Pool | None,
                   eyes_val: Pool | None, cfg: ReadoutConfig = ReadoutConfig(),
                   log: Callable[[str], None] = print) -> dict:
    """Refit ``net``'s openness row in place (see the module docstring) on render frames of ``train`` and the real
    eyes ``eyes``. Without real eyes that carry an aperture label the row is left as trained. Returns the summary
    for the model card: metrics before and after on the training sample and, with ``eyes_val``, on the validation
    identities' renders and the validation persons' real eyes."""
    if not has_apertures(eyes):
        return readout_skipped(log)
    layer = net.eye_head[2]
    w0, b0 = layer.weight[OPENNESS_ROW].detach().clone(), layer.bias[OPENNESS_ROW].detach().clone()
    data = readout_data(net, train, eyes, cfg)
    held = readout_data(net, val, eyes_val, cfg, augment=False) if eyes_val is not None else None
    w, b = fit_readout(data, w0, b0, cfg)
    with torch.no_grad():
        layer.weight[OPENNESS_ROW] = w
        layer.bias[OPENNESS_ROW] = b
    summary: dict = {"refit": True, "config": dict(cfg.__dict__), "train_before": readout_metrics(w0, b0, data),
                     "train_after": readout_metrics(w, b, data), "weight_change": round(float((w - w0).norm()), 4)}
    if held is not None:
        summary |= {"val_before": readout_metrics(w0, b0, held), "val_after": readout_metrics(w, b, held)}
    shown = summary.get("val_after", summary["train_after"])
    before = summary.get("val_before", summary["train_before"])
    log("openness readout refit (" + ("validation" if held is not None else "training sample") + "): "
        + ", ".join(f"{k} {before[k]:.3f} -> {shown[k]:.3f}" for k in shown if k in before))
    return summary
