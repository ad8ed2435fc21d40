"""The real-data halves of the training recipes: batches of imported real samples (camera-like augmentation) and
one masked loss term per label kind. A sample that lacks a label kind contributes nothing to that term."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from bridge.evaluation.metrics import roc_auc
from bridge.inference.spec import LOWER_FACE_SHAPES
from bridge.schema import BLENDSHAPE_INDEX, EMOTIVE5, EYE_SHAPES_LEFT, EYE_SHAPES_RIGHT, FER8
from bridge.training.augment import (
    AugmentConfig,
    add_noise,
    apply_photometric,
    augment_images,
    camera_extras,
    map_points,
    photometric_params,
    random_blur,
    random_scale_affine,
)
from bridge.training.real import Pool, mouth_crop

# Real eye crops (MRL: driver-monitoring crops where the eye fills most of the frame; ITMO/MMU: close-ups): zoom
# out to where a headset eye camera has the eye at about half the frame width, zoom in a little, rotate more than
# the renders (headset slippage), and add the camera effects (glints, vignette, JPEG).
REAL_EYE_SCALE = (0.5, 1.2)
REAL_EYE_ROTATE = 15.0
REAL_EYE_SHIFT = 0.08
AUG_REAL = AugmentConfig(gain=(0.6, 1.25), offset=0.06, gamma=(0.7, 1.5), noise_max=0.05, blur_prob=0.35)
# Eyemotion's real eye pairs keep the earlier, wider photometry and no contrast rule: the shipped eyemotion.onnx was
# trained that way, and the milder blendshape setting (above) cost it validation score in a retrain (best 0.69 vs
# 0.71, valence lower); its labels (eyes closed vs not surprised) did not show the blown-out-open failure.
AUG_REAL_EYEMOTION = AugmentConfig(gain=(0.5, 1.5), offset=0.1, gamma=(0.6, 1.6), noise_max=0.05, blur_prob=0.35)
# An augmented real crop with (almost) no contrast left shows no eye: its open/closed label is dropped. Without
# this, blown-out open MRL crops taught "featureless bright frame = open", and an over-exposed CLOSED render read
# fully open (tests/test_infer_cmd.py device-resolution check).
MIN_LABEL_CONTRAST = 0.05
AUG_FACE = AugmentConfig(rotate_deg=10.0, scale=0.2, shift=0.1, noise_max=0.04, blur_prob=0.3)

OPEN_MIN = 0.6  # an eye labelled open should read at least this openness
VISIBLE_AT_OPEN = 0.8  # visible iris fraction of a relaxed open eye (maps to openness 1)
# Eye-aperture ranks (smile-eyes landmark contours): apertures closer than the margin are ties (landmark noise); the
# RankNet temperature sets how clearly the wider eye should read more open.
APERTURE_MARGIN = 0.02
APERTURE_TEMPERATURE = 0.05
# 0.3, not 1: at weight 1 fresh nets read some nearly shut visible-light eyes wide open (smile-eyes validation:
# eyeBlink 0.02 / 0.07 on plainly closed lids); 0 loses the device-resolution closed eye of tests/test_infer_cmd.py
# and the aperture ranking (ablation on one render and seed: docs/models.md, round 9).
APERTURE_RANK_WEIGHT = 0.3
JAW_OPEN_MIN = 0.35  # mouth labelled open (not yawning): jawOpen at least this
# yawn_v5 scenes WITHOUT a yawn (yawn = 0): jawOpen only pushed below this, and weakly. These faces may be talking,
# eating or on the phone, so their mouth can be open: "not yawning" says the jaw is not yawn-wide, not that the
# mouth is closed. A hinge leaves every jawOpen below the limit alone; the shipped models read 0.63 on average on
# these scenes (0.90 on yawns), so the term mainly separates a yawn from an open talking mouth.
NOT_YAWN_JAW_MAX = 0.5
NOT_YAWN_WEIGHT = 0.5

BLINK = (EYE_SHAPES_LEFT[0], EYE_SHAPES_RIGHT[0])
WIDE = (EYE_SHAPES_LEFT[6], EYE_SHAPES_RIGHT[6])
JAW = BLENDSHAPE_INDEX["jawOpen"]
SMILE = (BLENDSHAPE_INDEX["mouthSmileLeft"], BLENDSHAPE_INDEX["mouthSmileRight"])
LF_POS = {idx: j for j, idx in enumerate(LOWER_FACE_SHAPES)}  # canonical index -> lower-face output column
E5_SURPRISE, E5_CLOSED = EMOTIVE5.index("surprise"), EMOTIVE5.index("eyes_closed")
E8_SURPRISE = FER8.index("surprise")


def _f(u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(u8)).float().unsqueeze(1).div_(255.0)


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).float()


def oriented_eyes(pool: Pool, idx: np.ndarray, want_side: int, g: torch.Generator):
    """Crops ``idx`` flipped so they look like a ``want_side`` eye (0 left, 1 right; unknown side: random flip),
    with their pupil labels moved along. Returns (x (B,1,S,S), pupil (B,2) 0..1 or NaN)."""
    x = _f(pool.images[idx])
    side = pool.labels["side"][idx]
    pupil = pool.labels["pupil"][idx].copy()
    rnd = torch.rand(len(idx), generator=g).numpy() < 0.5
    flip = np.where(side >= 0, side != want_side, rnd)
    if flip.any():
        x[torch.from_numpy(flip)] = x[torch.from_numpy(flip)].flip(-1)
        pupil[flip, 0] = 1 - pupil[flip, 0]
    return x, pupil


def camera_augment_eyes(x: torch.Tensor, pupil: np.ndarray, g: torch.Generator,
                        aug: AugmentConfig = AUG_REAL) -> tuple[torch.Tensor, np.ndarray]:
    """Geometry (pupil labels follow), photometry (``aug``), blur, noise, glints, vignette, JPEG."""
    x, theta = random_scale_affine(x, REAL_EYE_SCALE, REAL_EYE_ROTATE, REAL_EYE_SHIFT, g)
    has = ~np.isnan(pupil).any(1)
    if has.any():
        p = torch.from_numpy(np.nan_to_num(pupil, nan=0.5)).float()
        moved = map_points(p, theta).numpy()
        pupil = np.where(has[:, None], moved, np.nan).astype(np.float32)
    x = apply_photometric(x, photometric_params(x.shape[0], aug, g))
    x = add_noise(random_blur(x, aug, g), aug, g)
    return camera_extras(x, g, glints=0.35, vignette=0.3, jpeg=0.3), pupil


def eye_labels(pool: Pool, idx: np.ndarray, pupil: np.ndarray,
               x: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Labels of crops ``idx``; with the augmented crops ``x``, samples left without contrast lose every label."""
    t = {"closed": _t(pool.labels["closed"][idx]), "visible": _t(pool.labels["visible"][idx]), "pupil": _t(pupil),
         "aperture": _t(pool.labels["aperture"][idx])}
    if x is not None:
        flat = x.flatten(1).std(1) < MIN_LABEL_CONTRAST
        if bool(flat.any()):
            t = {k: v.clone() for k, v in t.items()}
            for v in t.values():
                v[flat] = float("nan")
    return t


def real_face_batch(pool: Pool, n: int, g: torch.Generator, augment: bool = True, flip: bool = False,
                    idx: np.ndarray | None = None):
    """``n`` face-aligned real crops (full face; the caller hides the upper half where needed) and their labels.
    ``flip`` mirrors half of them at random: every real face label (FER8, smile, mouth open, yawn) is symmetric.
    ``idx``: these pool rows instead of ``n`` sampled ones (an epoch over the pool, e.g. the full-face teacher)."""
    idx = pool.sample(n, g) if idx is None else np.asarray(idx)
    n = len(idx)
    x = _f(pool.images[idx])
    if augment:
        x = camera_extras(augment_images(x, AUG_FACE, g), g, glints=0.0, vignette=0.1, jpeg=0.3)
    if flip:
        m = torch.rand(n, generator=g) < 0.5
        x[m] = x[m].flip(-1)
    labels = {k: _t(pool.labels[k][idx]) for k in ("fer8", "smile", "mouth_open", "yawn")}
    return x, labels


# ---------------------------------------------------------------- loss terms
def _bce(logit: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logit, target)


def eye_state_loss(blink_logit: torch.Tensor, wide_logit: torch.Tensor, openness: torch.Tensor,
                   pupil_pred: torch.Tensor | None, t: dict[str, torch.Tensor], mirror_pupil: bool) -> torch.Tensor:
    """One eye's real labels: open/closed -> eyeBlink (BCE) and openness (closed: 0, open: >= OPEN_MIN), open
    relaxed eyes -> eyeWide low; visible iris fraction -> openness; pupil centre -> the auxiliary pupil head."""
    loss = blink_logit.new_zeros(())
    c = t["closed"]
    has = ~torch.isnan(c)
    if bool(has.any()):
        cc = c[has]
        loss = loss + _bce(blink_logit[has], cc)
        o = openness[has]
        loss = loss + torch.where(cc > 0.5, o.abs(), F.relu(OPEN_MIN - o)).mean()
        op = cc < 0.5
        if bool(op.any()):
            loss = loss + 0.3 * _bce(wide_logit[has][op], torch.zeros_like(cc[op]))
    v = t["visible"]
    hv = ~torch.isnan(v)
    if bool(hv.any()):
        loss = loss + (openness[hv] - (v[hv] / VISIBLE_AT_OPEN).clamp(0, 1)).abs().mean()
    if pupil_pred is not None:
        p = t["pupil"]
        hp = ~torch.isnan(p).any(1)
        if bool(hp.any()):
            target = p[hp].clone()
            if mirror_pupil:  # the model mirrors the left crop before its encoder
                target[:, 0] = 1 - target[:, 0]
            loss = loss + 0.5 * (pupil_pred[hp] - target).abs().mean()
    return loss


def rank_pairs(aperture: torch.Tensor, margin: float, n_pairs: int, seed: int) -> torch.Tensor:
    """(P, 2) index pairs (wider, narrower) of samples whose apertures differ by more than ``margin`` (closer ones
    are ties within landmark noise): all of them when there are at most ``n_pairs``, else a fixed random sample."""
    d = aperture[:, None] - aperture[None, :]
    pairs = torch.nonzero(d > margin)
    if len(pairs) > n_pairs:
        keep = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed))[:n_pairs]
        pairs = pairs[keep.sort().values]
    return pairs


def rank_loss(pred: torch.Tensor, pairs: torch.Tensor, temperature: float) -> torch.Tensor:
    """RankNet loss over ``pairs`` (wider, narrower): softplus of the wrongly ordered prediction difference, ~0
    when the wider eye reads clearly more open."""
    if len(pairs) == 0:
        return pred.new_zeros(())
    return F.softplus(-(pred[pairs[:, 0]] - pred[pairs[:, 1]]) / temperature).mean()


def aperture_rank_loss(openness: torch.Tensor, aperture_left: torch.Tensor,
                       aperture_right: torch.Tensor) -> torch.Tensor:
    """The eye-aperture label kind: the real crops of both eye slots (``openness`` (B, 2)) that carry an aperture,
    ranked together (every clearly ordered pair in the batch); 0 with fewer than two."""
    ap = torch.cat([aperture_left, aperture_right])
    has = torch.nonzero(~torch.isnan(ap)).flatten()
    if len(has) < 2:
        return openness.new_zeros(())
    pairs = has[rank_pairs(ap[has], APERTURE_MARGIN, len(has) ** 2, 0)]
    return rank_loss(torch.cat([openness[:, 0], openness[:, 1]]), pairs, APERTURE_TEMPERATURE)


def mouth_loss(jaw_logit: torch.Tensor, smile_logits: tuple[torch.Tensor, torch.Tensor],
               t: dict[str, torch.Tensor]) -> torch.Tensor:
    """Real mouth labels: yawn -> jawOpen high; not yawning -> jawOpen below NOT_YAWN_JAW_MAX (weak hinge); mouth
    open -> jawOpen >= JAW_OPEN_MIN; closed -> jawOpen low; smile -> mouthSmileLeft/Right. A sample whose label of a
    kind is missing (NaN) is in none of that kind's masks (NaN compares False), so it contributes nothing."""
    loss = jaw_logit.new_zeros(())
    yawn = t["yawn"] > 0.5
    if bool(yawn.any()):
        loss = loss + _bce(jaw_logit[yawn], torch.full_like(jaw_logit[yawn], 0.9))
    not_yawn = t["yawn"] < 0.5
    if bool(not_yawn.any()):
        loss = loss + NOT_YAWN_WEIGHT * F.relu(torch.sigmoid(jaw_logit[not_yawn]) - NOT_YAWN_JAW_MAX).mean()
    mo = t["mouth_open"]
    opened = (mo > 0.5) & ~yawn
    if bool(opened.any()):
        loss = loss + F.relu(JAW_OPEN_MIN - torch.sigmoid(jaw_logit[opened])).mean() * 2
    closed = mo < 0.5
    if bool(closed.any()):
        loss = loss + 0.5 * _bce(jaw_logit[closed], torch.zeros_like(jaw_logit[closed]))
    s = t["smile"]
    hs = ~torch.isnan(s)
    if bool(hs.any()):
        loss = loss + 0.5 * (_bce(smile_logits[0][hs], s[hs]) + _bce(smile_logits[1][hs], s[hs]))
    return loss


def soft_ce(logits: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Cross-entropy with a soft target distribution (FER+ crowd votes)."""
    return -(q * F.log_softmax(logits, 1)).sum(1).mean()


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                      temperature: float) -> torch.Tensor:
    """Hinton knowledge distillation: T^2 * KL(softmax(teacher / T) || softmax(student / T)), mean over the batch.
    Zero when the student's logits equal the teacher's (up to a constant per row), positive otherwise; the T^2 keeps
    its gradients on the scale of the hard-label cross-entropy whatever T is. The teacher side carries no gradient."""
    t = temperature
    log_p_teacher = F.log_softmax(teacher_logits.detach() / t, 1)
    log_p_student = F.log_softmax(student_logits / t, 1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(1)
    return kl.mean() * t * t


# ---------------------------------------------------------------- blendshape model: real part of a batch
def blendshape_real_batch(eyes: Pool | None, faces: Pool | None, n_eye: int, n_mouth: int, g: torch.Generator):
    """Real inputs for the three slots of the blendshape model: real eye crops in both eye slots (different
    people), real mouth close-ups (cut from real faces) in part of the mouth slot, black elsewhere."""
    n = n_eye
    xs, tl, tr = [], None, None
    if eyes is not None:
        il, ir = eyes.sample(n, g), eyes.sample(n, g)
        xl, pl = oriented_eyes(eyes, il, 0, g)
        xr, pr = oriented_eyes(eyes, ir, 1, g)
        xl, pl = camera_augment_eyes(xl, pl, g)
        xr, pr = camera_augment_eyes(xr, pr, g)
        tl, tr = eye_labels(eyes, il, pl, xl), eye_labels(eyes, ir, pr, xr)
        xs = [xl, xr]
    size = eyes.images.shape[1] if eyes is not None else faces.images.shape[1]
    if not xs:
        xs = [torch.zeros(n, 1, size, size), torch.zeros(n, 1, size, size)]
    mouth = torch.zeros(n, 1, size, size)
    tm = None
    if faces is not None and n_mouth > 0:
        fx, tm = real_face_batch(faces, n_mouth, g)
        mouth[:n_mouth] = mouth_crop(fx)
        tm = {k: torch.cat([v, torch.full((n - n_mouth,) + v.shape[1:], float("nan"))]) for k, v in tm.items()}
    return xs + [mouth], (tl, tr, tm)


def blendshape_real_loss(out, t) -> torch.Tensor:
    shapes, gaze, openness, _, _, logits, pupil = out
    tl, tr, tm = t
    loss = logits.new_zeros(())
    for e, te in ((0, tl), (1, tr)):
        if te is not None:
            loss = loss + eye_state_loss(logits[:, BLINK[e]], logits[:, WIDE[e]], openness[:, e], pupil[:, e], te,
                                         mirror_pupil=e == 0)
    if tl is not None and tr is not None:
        loss = loss + APERTURE_RANK_WEIGHT * aperture_rank_loss(openness, tl["aperture"], tr["aperture"])
    if tm is not None:
        keep = ~torch.isnan(tm["mouth_open"]) | ~torch.isnan(tm["smile"]) | ~torch.isnan(tm["yawn"])
        if bool(keep.any()):
            loss = loss + mouth_loss(logits[keep, JAW], (logits[keep, SMILE[0]], logits[keep, SMILE[1]]),
                                     {k: v[keep] for k, v in tm.items()})
    return loss


MAX_VAL_EYES = 4000


def blink_auc(model, eyes: Pool) -> tuple[float, float]:
    """Validation on real eye crops: AUC of eyeBlink for closed vs open and the closed-open mean gap (each crop in
    the left slot, its mirror in the right slot, as a one-eye camera would give both; mean of the two)."""
    has = np.flatnonzero(~np.isnan(eyes.labels["closed"]))
    if len(has) > MAX_VAL_EYES:  # a fixed subset keeps per-epoch validation cheap
        has = np.sort(np.random.default_rng(0).choice(has, MAX_VAL_EYES, replace=False))
    scores = []
    with torch.no_grad():
        for s in range(0, len(has), 512):
            idx = has[s:s + 512]
            x = _f(eyes.images[idx])
            out = model(x, x.flip(-1), torch.zeros_like(x))
            scores.append(((out[0][:, BLINK[0]] + out[0][:, BLINK[1]]) / 2).numpy())
    sc = np.concatenate(scores) if scores else np.zeros(0)
    y = eyes.labels["closed"][has] > 0.5
    if not y.any() or y.all():
        return float("nan"), float("nan")
    return roc_auc(y, sc), float(sc[y].mean() - sc[~y].mean())


# ---------------------------------------------------------------- eyemotion: real eye pairs
def eyemotion_real_batch(eyes: Pool, n: int, g: torch.Generator):
    """Pairs of one person's eyes in the same state (left | right halves), not personalized (channel 2 = 0)."""
    has = eyes.sample(n * 2, g)
    has = has[~np.isnan(eyes.labels["closed"][has])][:n]
    partner = eyes.partner(has, g)
    xl, pl = oriented_eyes(eyes, has, 0, g)
    xr, pr = oriented_eyes(eyes, partner, 1, g)
    xl, _ = camera_augment_eyes(xl, pl, g, AUG_REAL_EYEMOTION)
    xr, _ = camera_augment_eyes(xr, pr, g, AUG_REAL_EYEMOTION)
    closed = _t(eyes.labels["closed"][has])
    x = torch.cat([xl, xr], dim=3)
    return torch.cat([x, torch.zeros_like(x)], dim=1), closed


def eyemotion_real_loss(out, closed: torch.Tensor) -> torch.Tensor:
    """Closed pairs -> emotive 'eyes_closed'; open (relaxed, driver-monitoring) pairs -> NOT 'surprise' and NOT
    'eyes_closed' in emotive5, NOT 'surprise' in the eyes' FER8 (negative labels: real relaxed eyes read
    surprised when trained on renders only)."""
    e5, _, e8, _ = out
    loss = e5.new_zeros(())
    keep = ~torch.isnan(closed)
    e5, e8, closed = e5[keep], e8[keep], closed[keep]
    cl = closed > 0.5
    if bool(cl.any()):
        loss = loss + F.cross_entropy(e5[cl], torch.full((int(cl.sum()),), E5_CLOSED, dtype=torch.long))
    op = ~cl
    if bool(op.any()):
        p5 = torch.softmax(e5[op], 1)
        p8 = torch.softmax(e8[op], 1)
        loss = loss - torch.log((1 - p5[:, E5_SURPRISE] - p5[:, E5_CLOSED]).clamp(min=1e-4)).mean()
        loss = loss - torch.log((1 - p8[:, E8_SURPRISE]).clamp(min=1e-4)).mean()
    return loss


# ---------------------------------------------------------------- lower face
def lower_face_real_loss(e8_logits: torch.Tensor, shape_logits: torch.Tensor, t: dict[str, torch.Tensor]):
    """FER+ soft votes -> FER8; smile / mouth open / yawn -> the lower-face model's jaw and smile outputs."""
    loss = e8_logits.new_zeros(())
    q = t["fer8"]
    hq = ~torch.isnan(q).any(1)
    if bool(hq.any()):
        loss = loss + soft_ce(e8_logits[hq], q[hq])
    keep = ~torch.isnan(t["mouth_open"]) | ~torch.isnan(t["smile"]) | ~torch.isnan(t["yawn"])
    if bool(keep.any()):
        sl = shape_logits[keep]
        loss = loss + mouth_loss(sl[:, LF_POS[JAW]], (sl[:, LF_POS[SMILE[0]]], sl[:, LF_POS[SMILE[1]]]),
                                 {k: v[keep] for k, v in t.items()})
    return loss
