"""Per-model training recipes: batch construction (with augmentation), loss and validation score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from bridge.evaluation.data import SplitData
from bridge.evaluation.metrics import ccc
from bridge.inference.spec import GAZE_SCALE_DEG, LOWER_FACE_SHAPES
from bridge.schema import FER8
from bridge.training import nets
from bridge.training import real_tasks as rt
from bridge.training.augment import AugmentConfig, augment_images, augment_with_reference, camera_extras
from bridge.training.real import RealData

AUG = AugmentConfig()
# The synthetic webcam view is a roughly face-aligned crop; real inputs are aligned more or less tightly, so the
# framing is jittered harder than the headset views: scale +-20 %, shift +-10 % of the size (plus the renderer's
# per-session slip and head motion).
AUG_LOWER_FACE = AugmentConfig(scale=0.2, shift=0.1)
EVAL_BATCH = 512


def to_float(u8: np.ndarray) -> torch.Tensor:
    """(N, H, W) uint8 -> (N, 1, H, W) float 0..1."""
    return torch.from_numpy(u8).float().unsqueeze(1).div_(255.0)


def hide_upper(x: torch.Tensor) -> torch.Tensor:
    """Black out the upper half (occluded-lower-face protocol; the runtime crop policy does the same)."""
    x = x.clone()
    x[:, :, : x.shape[2] // 2] = 0
    return x


@dataclass
class Recipe:
    """Everything ``loop.fit`` needs for one model."""

    make_batch: object
    loss_fn: object
    validate: object
    n_train: int


def _batched(n: int):
    for s in range(0, n, EVAL_BATCH):
        yield np.arange(s, min(n, s + EVAL_BATCH))


# ---------------------------------------------------------------- blendshapes (REFA)
REAL_EYES_PER_BATCH = 16  # real eye crops per eye slot, on top of the synthetic batch
REAL_MOUTHS_PER_BATCH = 0  # of those rows, how many carry a real mouth close-up in the mouth slot
# Weight of the real terms. Measured (12 epochs): weight 1.0 with 48 real rows (+16 real mouth close-ups) left the
# synthetic MAE at 0.043, weight 0.5 with 32 rows (+8) at 0.038 and REFA semantic accuracy fell 0.49 -> 0.35 with
# it, weight 0.25 with 16 rows flickered on over-exposed closed renders; the real eye task is easy (blink AUC 0.97
# on validation persons after 2 epochs), so it gets a light touch,
# and blurry mouth close-ups cut from face photos stay out of the headset mouth slot.
REAL_WEIGHT = 0.15
SYN_CAMERA_EXTRAS = False  # vignette/JPEG on the renders' headset views (cost synthetic accuracy, see above)


def _no_real() -> RealData:
    return RealData(None, None, None, {})


def blendshape_recipe(train: SplitData, val: SplitData, real: RealData | None = None,
                      real_val: RealData | None = None, real_weight: float = REAL_WEIGHT,
                      real_eyes: int = REAL_EYES_PER_BATCH, real_mouths: int = REAL_MOUTHS_PER_BATCH) -> Recipe:
    """Synthetic frames (every label) plus, when imported real sets are given, real eye crops in both eye slots and
    real mouth close-ups in the mouth slot with their masked per-kind losses (real_tasks)."""
    lab = train.labels
    real = real or _no_real()
    real_val = real_val or _no_real()
    use_real = real.eyes is not None or real.faces is not None

    def make_batch(idx, augment, g):
        xs, t = _syn_blend_batch(idx, augment, g)
        if augment and use_real:
            xr, tr = rt.blendshape_real_batch(real.eyes, real.faces, real_eyes,
                                              real_mouths if real.faces is not None else 0, g)
            xs = tuple(torch.cat([a, b]) for a, b in zip(xs, xr, strict=True))
            return xs, (t, tr, len(idx))
        return xs, (t, None, len(idx))

    def _syn_blend_batch(idx, augment, g):
        xs = [to_float(train.views[v][idx]) for v in ("left_eye", "right_eye", "mouth")]
        keep = torch.ones(len(idx), 3)
        if augment:
            xs = [augment_images(x, AUG, g) for x in xs]  # each camera has its own exposure and slippage
            if SYN_CAMERA_EXTRAS:
                xs = [camera_extras(x, g, glints=0.0, vignette=0.1, jpeg=0.1) for x in xs]
            # Camera dropout: headsets without a mouth camera (or a lost eye camera) still get the other regions.
            keep = (torch.rand(len(idx), 3, generator=g) > torch.tensor([0.04, 0.04, 0.1])).float()
            xs = [x * keep[:, i].view(-1, 1, 1, 1) for i, x in enumerate(xs)]
        t = (torch.from_numpy(lab["blendshapes"][idx]).float(), torch.from_numpy(lab["gaze"][idx]).float(),
             torch.from_numpy(lab["openness"][idx]).float(), keep,
             torch.from_numpy(lab["fer8"][idx].astype(np.int64)),
             torch.from_numpy(lab["emotive5"][idx].astype(np.int64)), torch.from_numpy(lab["au10"][idx]).float())
        return tuple(xs), t

    def loss_fn(out, targets):
        t, t_real, n = targets
        loss = syn_loss(tuple(o[:n] for o in out), t)
        if t_real is not None:
            loss = loss + real_weight * rt.blendshape_real_loss(tuple(o[n:] for o in out), t_real)
        return loss

    def syn_loss(out, t):
        shapes, gaze, openness, aux_mouth, aux_eyes, logits, _ = out
        ts, tg, to, keep, t8, t5, tau = t
        w = torch.ones_like(ts)
        w[:, 0:7] *= keep[:, 0:1]  # a dropped eye camera: its eye's outputs are unknowable, do not train them
        w[:, 7:14] *= keep[:, 1:2]
        # REFA's L1 on the 0..1 shapes, plus binary cross-entropy with the soft targets on the logits: L1 alone has
        # sign-only gradients and, with shapes that are 0 in most frames, parked every rarely active shape at 0
        # (measured: smiles predicted 0.00 at their apex after 20 epochs); BCE's (p - t) gradient does not.
        bce = F.binary_cross_entropy_with_logits(logits, ts, reduction="none")
        l_shapes = (w * ((shapes - ts).abs() + bce)).sum() / w.sum().clamp(min=1)
        we = keep[:, :2]
        l_gaze = (we.unsqueeze(2) * (gaze - tg).abs()).sum() / (2 * we.sum().clamp(min=1)) / GAZE_SCALE_DEG
        l_open = (we * (openness - to).abs()).sum() / we.sum().clamp(min=1)
        loss = l_shapes * 4.0 + l_gaze + l_open  # L1 (REFA) based; shapes weighted up, they are the product
        # Auxiliary classification (training only), on samples whose cameras were not dropped.
        t8 = torch.where(keep[:, 2] > 0, t8, torch.full_like(t8, -1))
        both = (keep[:, 0] * keep[:, 1]) > 0
        t5 = torch.where(both, t5, torch.full_like(t5, -1))
        if bool((t8 >= 0).any()):
            loss = loss + 0.3 * F.cross_entropy(aux_mouth, t8, ignore_index=-1)
        if bool((t5 >= 0).any()):
            loss = loss + 0.3 * F.cross_entropy(aux_eyes[:, :5], t5, ignore_index=-1)
        if bool(both.any()):
            loss = loss + 0.3 * F.binary_cross_entropy_with_logits(aux_eyes[both, 5:], tau[both])
        return loss

    def validate(model):
        err = []
        for idx in _batched(len(val)):
            xs = [to_float(val.views[v][idx]) for v in ("left_eye", "right_eye", "mouth")]
            err.append((model(*xs)[0] - torch.from_numpy(val.labels["blendshapes"][idx])).abs().mean(1))
        score = -float(torch.cat(err).mean())  # higher is better: negative MAE
        if real_val.eyes is not None:
            auc, gap = rt.blink_auc(model, real_val.eyes)
            print(f"    real validation eyes: blink AUC {auc:.4f}, closed-open gap {gap:.3f}", flush=True)
            score += 0.1 * auc + 0.02 * gap  # ~0.01 of AUC is worth ~0.001 of synthetic MAE
        return score

    return Recipe(make_batch, loss_fn, validate, len(train))


# ---------------------------------------------------------------- eyemotion
def eye_pair(split: SplitData, idx: np.ndarray) -> torch.Tensor:
    return torch.cat([to_float(split.views["left_eye"][idx]), to_float(split.views["right_eye"][idx])], dim=3)


def neutral_pair(split: SplitData, idx: np.ndarray) -> torch.Tensor:
    s = split.session_index[idx]
    left = torch.from_numpy(split.neutral["left_eye"][s]).unsqueeze(1)
    right = torch.from_numpy(split.neutral["right_eye"][s]).unsqueeze(1)
    return torch.cat([left, right], dim=3)


def eyemotion_input(x: torch.Tensor, ref: torch.Tensor | None) -> torch.Tensor:
    """2-channel Eyemotion input: raw pair and pair minus neutral mean (zeros when un-personalized)."""
    return torch.cat([x, x - ref if ref is not None else torch.zeros_like(x)], dim=1)


REAL_EYE_PAIRS_PER_BATCH = 24


def eyemotion_recipe(train: SplitData, val: SplitData, p_personalized: float = 0.7,
                     real: RealData | None = None, real_weight: float = 0.25) -> Recipe:
    """Synthetic eye pairs (every label) plus real same-person eye pairs (open/closed -> emotive 'eyes_closed' and
    negative 'surprise' labels, real_tasks.eyemotion_real_loss) when imported real eye sets are given."""
    lab = train.labels
    real = real or _no_real()

    def make_batch(idx, augment, g):
        x, ref = eye_pair(train, idx), neutral_pair(train, idx)
        if augment:
            x, ref = augment_with_reference(x, ref, AUG, g)
            use = (torch.rand(len(idx), generator=g) < p_personalized).float().view(-1, 1, 1, 1)
        else:
            use = torch.ones(len(idx), 1, 1, 1)
        inp = torch.cat([x, (x - ref) * use], dim=1)
        t = (torch.from_numpy(lab["emotive5"][idx].astype(np.int64)), torch.from_numpy(lab["au10"][idx]).float(),
             torch.from_numpy(lab["fer8"][idx].astype(np.int64)),
             torch.from_numpy(np.stack([lab["valence"][idx], lab["arousal"][idx]], 1)).float())
        if augment and real.eyes is not None:
            xr, closed = rt.eyemotion_real_batch(real.eyes, REAL_EYE_PAIRS_PER_BATCH, g)
            return (torch.cat([inp, xr]),), (t, closed, len(idx))
        return (inp,), (t, None, len(idx))

    def loss_fn(out, targets):
        t, closed, n = targets
        loss = syn_loss(tuple(o[:n] for o in out), t)
        if closed is not None:
            loss = loss + real_weight * rt.eyemotion_real_loss(tuple(o[n:] for o in out), closed)
        return loss

    def syn_loss(out, t):
        e5, au, e8, va = out
        t5, tau, t8, tva = t
        loss = F.binary_cross_entropy_with_logits(au, tau) + 2.0 * F.mse_loss(va, tva)
        if bool((t5 >= 0).any()):
            loss = loss + F.cross_entropy(e5, t5, ignore_index=-1, label_smoothing=0.05)
        if bool((t8 >= 0).any()):
            loss = loss + 0.5 * F.cross_entropy(e8, t8, ignore_index=-1, label_smoothing=0.05)
        return loss

    def validate(model):
        """Mean of: personalized emotive5 accuracy, single-AU top-1, FER8-from-eyes accuracy, mean affect CCC."""
        e5, au, e8, va = [], [], [], []
        for idx in _batched(len(val)):
            out = model(eyemotion_input(eye_pair(val, idx), neutral_pair(val, idx)))
            e5.append(out[0].argmax(1).numpy())
            au.append(out[1].numpy())
            e8.append(out[2].argmax(1).numpy())
            va.append(out[3].numpy())
        e5, au, e8, va = (np.concatenate(a) for a in (e5, au, e8, va))
        t5, t8, tau = val.labels["emotive5"], val.labels["fer8"], val.labels["au10"].astype(bool)
        single = tau.sum(1) == 1
        scores = [np.mean(e5[t5 >= 0] == t5[t5 >= 0]), np.mean(e8[t8 >= 0] == t8[t8 >= 0]),
                  np.mean(au[single].argmax(1) == tau[single].argmax(1)) if single.any() else 0.0,
                  0.5 * (ccc(val.labels["valence"], va[:, 0]) + ccc(val.labels["arousal"], va[:, 1]))]
        return float(np.mean(scores))

    return Recipe(make_batch, loss_fn, validate, len(train))


# ---------------------------------------------------------------- 8-class from one image (mouth / lower face)
def emotion8_recipe(train: SplitData, val: SplitData, view: str, hide: bool) -> Recipe:
    """``hide`` blacks out the upper half (lower-face stage 2); the mouth camera never needs it."""
    has = np.flatnonzero(train.labels["fer8"] >= 0)
    val_has = np.flatnonzero(val.labels["fer8"] >= 0)

    def make_batch(idx, augment, g):
        real = has[idx]
        x = to_float(train.views[view][real])
        if augment:
            x = augment_images(x, AUG_LOWER_FACE if view == "lower_face" else AUG, g)
        if hide:
            x = hide_upper(x)
        return (x,), torch.from_numpy(train.labels["fer8"][real].astype(np.int64))

    def loss_fn(out, t):
        return F.cross_entropy(out, t, label_smoothing=0.05)

    def validate(model):
        hits = 0
        for chunk in _batched(len(val_has)):
            real = val_has[chunk]
            x = to_float(val.views[view][real])
            x = hide_upper(x) if hide else x
            hits += int((model(x).argmax(1).numpy() == val.labels["fer8"][real]).sum())
        return hits / max(len(val_has), 1)

    return Recipe(make_batch, loss_fn, validate, len(has))


# ---------------------------------------------------------------- external lower face: FER8 + mouth shapes
REAL_FER_PER_BATCH = 96
REAL_FACES_PER_BATCH = 32
LF_SHAPES = np.array(LOWER_FACE_SHAPES)


def lower_face_recipe(train: SplitData, val: SplitData, hide: bool, real: RealData | None = None,
                      real_val: RealData | None = None, flip: bool = False, mirror_average: bool = False,
                      teacher: torch.nn.Module | None = None, kd_weight: float = 0.0,
                      kd_temperature: float = 3.0) -> Recipe:
    """LowerFaceNet on the lower_face view: synthetic frames (FER8 + the lower-face shapes), FER+ faces (soft vote
    FER8) and smile/yawn faces (jawOpen, mouthSmile*). ``hide`` blacks out the upper half (stage 2). Selection
    score: mean of synthetic validation accuracy and FER2013Valid accuracy (majority vote) when FER+ is given.
    ``flip`` mirrors half the real faces (synthetic frames keep their side: their shape labels are per side).
    ``mirror_average``: validate the model in the form it ships in (nets.MirrorAveragedLowerFaceNet), so the epoch
    chosen is the best shipped model, not the best single view (they differed by 0.5 points on FER2013Valid).
    ``teacher`` (with ``kd_weight`` > 0): privileged-information distillation (Georgescu 2019): a net trained on FULL
    FER+ faces (``lower_face_teacher_recipe``) sees each FER+ face of the batch whole, with the same augmentation and
    flip, and the student, which sees it with the upper half hidden, also matches the teacher's soft output at
    ``kd_temperature`` (real_tasks.distillation_loss, weighted ``kd_weight`` beside the soft-vote cross-entropy):
    the teacher's distribution says what the eyes and brows showed, which the votes alone do not."""
    real = real or _no_real()
    real_val = real_val or _no_real()
    has = np.flatnonzero(train.labels["fer8"] >= 0)
    val_has = np.flatnonzero(val.labels["fer8"] >= 0)
    use_kd = teacher is not None and kd_weight > 0 and real.ferplus is not None

    def make_batch(idx, augment, g):
        rows = has[idx]
        x = to_float(train.views["lower_face"][rows])
        if augment:
            x = camera_extras(augment_images(x, AUG_LOWER_FACE, g), g, glints=0.0, vignette=0.1, jpeg=0.25)
        t_syn = (torch.from_numpy(train.labels["fer8"][rows].astype(np.int64)),
                 torch.from_numpy(train.labels["blendshapes"][rows][:, LF_SHAPES]).float())
        parts, t_real, t_kd = [x], [], None
        if augment:
            for pool, n in ((real.ferplus, REAL_FER_PER_BATCH), (real.faces, REAL_FACES_PER_BATCH)):
                if pool is not None:
                    xr, tr = rt.real_face_batch(pool, n, g, flip=flip)
                    if use_kd and pool is real.ferplus:
                        t_kd = teacher_logits(xr)  # the whole face, before the upper half is hidden
                    parts.append(xr)
                    t_real.append(tr)
        x = torch.cat(parts)
        if hide:
            x = hide_upper(x)
        t_real_cat = {k: torch.cat([t[k] for t in t_real]) for k in t_real[0]} if t_real else None
        return (x,), (t_syn, t_real_cat, len(rows), t_kd)

    def teacher_logits(x_full: torch.Tensor) -> torch.Tensor:
        assert teacher is not None
        teacher.eval()
        with torch.no_grad():
            return teacher(x_full)[0]

    def loss_fn(out, targets):
        (t8, tshape), t_real, n, t_kd = targets
        logits, shape_logits = out
        shapes = torch.sigmoid(shape_logits[:n])
        loss = F.cross_entropy(logits[:n], t8, label_smoothing=0.05)
        loss = loss + 2.0 * ((shapes - tshape).abs().mean()
                             + F.binary_cross_entropy_with_logits(shape_logits[:n], tshape))
        if t_real is not None:
            loss = loss + rt.lower_face_real_loss(logits[n:], shape_logits[n:], t_real)
        if t_kd is not None:  # the FER+ rows come first after the synthetic ones
            loss = loss + kd_weight * rt.distillation_loss(logits[n:n + len(t_kd)], t_kd, kd_temperature)
        return loss

    def validate(model):
        if mirror_average:
            model = nets.MirrorAveragedLowerFaceNet(model).eval()  # shares the weights
        hits = 0
        for chunk in _batched(len(val_has)):
            rows = val_has[chunk]
            x = to_float(val.views["lower_face"][rows])
            x = hide_upper(x) if hide else x
            hits += int((model(x)[0].argmax(1).numpy() == val.labels["fer8"][rows]).sum())
        syn = hits / max(len(val_has), 1)
        if real_val.ferplus is None:
            return syn
        fer = ferplus_accuracy(model, real_val.ferplus, hide)
        print(f"    lower face validation: synthetic {syn:.4f}, FER2013Valid {fer:.4f}", flush=True)
        return 0.5 * (syn + fer)

    return Recipe(make_batch, loss_fn, validate, len(has))


def lower_face_teacher_recipe(real: RealData, real_val: RealData, flip: bool = True) -> Recipe:
    """The distillation teacher (privileged information, Georgescu 2019): a LowerFaceNet-family net on FULL FER+
    faces (eyes and brows visible), soft-vote cross-entropy, the real-face augmentation and random mirroring the
    student's FER+ rows get. One epoch = one pass over FER2013Train. Selection score: FER2013Valid accuracy on full
    faces (majority vote), crop + mirror averaged. Training only: the teacher is never exported."""
    if real.ferplus is None or real_val.ferplus is None:
        raise ValueError("the lower-face teacher needs the imported FER+ set (--real with ferplus)")
    pool = real.ferplus

    def make_batch(idx, augment, g):
        x, t = rt.real_face_batch(pool, len(idx), g, augment=augment, flip=flip and augment, idx=idx)
        return (x,), t["fer8"]

    def loss_fn(out, q):
        return rt.soft_ce(out[0], q)

    def validate(model):
        acc = ferplus_accuracy(nets.MirrorAveragedLowerFaceNet(model).eval(), real_val.ferplus, hide=False)
        print(f"    teacher validation: FER2013Valid full faces {acc:.4f}", flush=True)
        return acc

    return Recipe(make_batch, loss_fn, validate, len(pool))


def ferplus_probabilities(model, images: np.ndarray, hide: bool = True) -> np.ndarray:
    """A lower-face-family model's FER8 probabilities for 48x48 FER+ faces (upper half hidden when ``hide``);
    ``model`` returns logits or log-probabilities first."""
    model.eval()
    out = []
    with torch.no_grad():
        for chunk in _batched(len(images)):
            x = to_float(images[chunk])
            out.append(torch.softmax(model(hide_upper(x) if hide else x)[0], 1).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(FER8)), np.float32)


def ferplus_accuracy(model, pool, hide: bool) -> float:
    """Accuracy against the FER+ majority vote."""
    if len(pool) == 0:
        return 0.0
    return float((ferplus_probabilities(model, pool.images, hide).argmax(1) == pool.labels["fer8"].argmax(1)).mean())


# ---------------------------------------------------------------- expression vector (DeepExp3D)
def expression_vector_recipe(train_shapes: np.ndarray, train_gt: np.ndarray, train_fer8: np.ndarray,
                             val_shapes: np.ndarray, val_fer8: np.ndarray) -> Recipe:
    """Train on a 50/50 mix of the blendshape model's predictions and noisy ground truth, validate on predictions."""
    has = np.flatnonzero(train_fer8 >= 0)
    val_has = np.flatnonzero(val_fer8 >= 0)
    pred_t = torch.from_numpy(train_shapes[has]).float()
    gt_t = torch.from_numpy(train_gt[has]).float()
    y_t = torch.from_numpy(train_fer8[has].astype(np.int64))

    def make_batch(idx, augment, g):
        x = pred_t[idx]
        if augment:
            use_gt = torch.rand(len(idx), 1, generator=g) < 0.5
            noisy = (gt_t[idx] * (0.8 + 0.4 * torch.rand(len(idx), 52, generator=g))
                     + 0.04 * torch.randn(len(idx), 52, generator=g)).clamp(0, 1)
            x = torch.where(use_gt, noisy, x)
        return (x,), y_t[idx]

    def loss_fn(out, t):
        return F.cross_entropy(out, t, label_smoothing=0.05)

    def validate(model):
        x = torch.from_numpy(val_shapes[val_has]).float()
        return float((model(x).argmax(1).numpy() == val_fer8[val_has]).mean()) if len(val_has) else 0.0

    return Recipe(make_batch, loss_fn, validate, len(has))
