"""Sanity guard for blendshape epoch selection: over/under-exposed closed and open eyes must read closed/open.

A lower validation loss is not enough: in round 3 some epochs with a better validation score read an
over-exposed CLOSED eye as half open (tests/test_infer_cmd.py). Validation frames come from the same sessions'
exposure distribution (exp(N(0, 0.22))), where that failure is rare, so selection also asks for the tails.

The guard frames are seeded synthetic renders of people NO split draws (identity seeds [GUARD_SEED, k]; the dataset
uses [data_seed, i]) at device resolution (240x240 eye trackers), through the runtime crop, at exposure 0.5 and 2.0
(about -/+3 sigma of the session exposure), eyes open and fully closed, each eye fed alone as a one-camera tracker
does (the other slots black: the model was trained with camera dropout). No real held-out data is used.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

GUARD_SEED = 20261201
GUARD_IDENTITIES = 32
GUARD_EXPOSURES = (0.5, 2.0)
# REFA's own thresholds (bridge/evaluation/refa.py): a closed eye reads "fully closed" at eyeBlink >= 0.8; an open
# eye at rest must stay below 0.2.
CLOSED_MIN, OPEN_MAX = 0.8, 0.2
PASS_RATE = 0.95  # at most one misread in twenty, per state (32 people x 2 exposures x 2 eyes = 128 frames each)


@dataclasses.dataclass(frozen=True)
class GuardFrames:
    left: np.ndarray  # (N, size, size) uint8 runtime crops of the left eye camera
    right: np.ndarray  # (N, size, size) uint8 right eye camera
    closed: np.ndarray  # (N,) bool: eyes fully closed (eyeBlink 1) or open (0)
    exposure: np.ndarray  # (N,) float


def guard_frames(size: int, identities: int = GUARD_IDENTITIES, seed: int = GUARD_SEED,
                 exposures: tuple[float, ...] = GUARD_EXPOSURES) -> GuardFrames:
    """Render the guard set (deterministic for the same arguments; ~3 s for 32 identities on one core); other
    ``exposures`` render the same people at those session exposures instead (the eyeBlink refit's fit set)."""
    from bridge.inference.preprocess import crop_view_u8
    from bridge.schema import BLENDSHAPE_INDEX
    from bridge.synth import DEVICE_SIZES, HeadsetRenderer, sample_identity, sample_session

    renderer = HeadsetRenderer({v: DEVICE_SIZES[v] for v in ("left_eye", "right_eye")})
    shapes = np.zeros((2, 52), np.float32)
    shapes[1, [BLENDSHAPE_INDEX["eyeBlinkLeft"], BLENDSHAPE_INDEX["eyeBlinkRight"]]] = 1.0
    gaze = np.zeros((2, 2, 2), np.float32)
    left, right, closed, exposure = [], [], [], []
    for k in range(identities):
        ident = sample_identity(np.random.default_rng([seed, k]))
        sess = sample_session(np.random.default_rng([seed, k, 1]), ident)
        for ex in exposures:
            out = renderer.render_batch(ident, dataclasses.replace(sess, exposure=ex), shapes, gaze,
                                        np.random.default_rng([seed, k, 2]))
            for i in range(2):
                left.append(crop_view_u8(out["left_eye"][i], "left_eye", size))
                right.append(crop_view_u8(out["right_eye"][i], "right_eye", size))
                closed.append(i == 1)
                exposure.append(ex)
    return GuardFrames(np.stack(left), np.stack(right), np.array(closed), np.array(exposure, np.float32))


def eye_guard(model: torch.nn.Module, frames: GuardFrames) -> dict:
    """Score a (raw) BlendshapeNet on the guard frames: the share of closed eyes read >= CLOSED_MIN and of open eyes
    read < OPEN_MAX (both eyes, each fed alone); ``passed`` when both shares reach PASS_RATE."""
    from bridge.schema import BLENDSHAPE_INDEX

    was_training = model.training
    model.eval()
    left = torch.from_numpy(frames.left[:, None].astype(np.float32) / 255.0)
    right = torch.from_numpy(frames.right[:, None].astype(np.float32) / 255.0)
    black = torch.zeros_like(left)
    with torch.no_grad():
        blink_l = model(left, black, black)[0][:, BLENDSHAPE_INDEX["eyeBlinkLeft"]].numpy()
        blink_r = model(black, right, black)[0][:, BLENDSHAPE_INDEX["eyeBlinkRight"]].numpy()
    model.train(was_training)
    blink = np.concatenate([blink_l, blink_r])
    closed = np.concatenate([frames.closed, frames.closed])
    closed_rate = float((blink[closed] >= CLOSED_MIN).mean())
    open_rate = float((blink[~closed] < OPEN_MAX).mean())
    return {"closed_read_closed": round(closed_rate, 4), "open_read_open": round(open_rate, 4),
            "closed_min": round(float(blink[closed].min()), 3),
            "passed": bool(closed_rate >= PASS_RATE and open_rate >= PASS_RATE)}
