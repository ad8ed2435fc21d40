"""Contact sheet: identities x expressions for every view, for judging realism at a glance."""

from __future__ import annotations

import numpy as np

from bridge.schema import BLENDSHAPE_INDEX as _I
from bridge.schema import CAMERAS
from bridge.synth.expressions import expression_shapes
from bridge.synth.identity import sample_identity, sample_session
from bridge.synth.renderer import HeadsetRenderer

SHEET_EXPRESSIONS: tuple[str, ...] = (
    "neutral", "happiness", "surprise", "anger", "sadness", "disgust", "eyes_closed", "AU46L", "AU1+2R", "speech",
)  # fmt: skip
# Gaze per column (yaw, pitch): varied so the iris movement is visible.
_GAZE = ((0, 0), (-20, 5), (15, 10), (0, -15), (25, -5), (-10, -10), (0, 0), (-15, 0), (10, 15), (5, -5))


def sheet_frames(identities: int = 6, seed: int = 0, size: int = 128) -> dict[str, np.ndarray]:
    """{view: (identities, expressions, size, size) uint8} rendered for the sheet."""
    rng = np.random.default_rng([seed, 5])
    renderer = HeadsetRenderer({v: (size, size) for v in CAMERAS})
    n = len(SHEET_EXPRESSIONS)
    shapes = np.zeros((n, 52), np.float32)
    for k, name in enumerate(SHEET_EXPRESSIONS):
        if name == "speech":
            shapes[k, _I["jawOpen"]] = 0.35
            shapes[k, _I["mouthFunnel"]] = 0.5
        else:
            shapes[k] = expression_shapes(name)
    gaze = np.zeros((n, 2, 2), np.float32)
    gaze[:, :, :] = np.asarray(_GAZE, np.float32)[:, None, :]
    out = {v: np.zeros((identities, n, size, size), np.uint8) for v in CAMERAS}
    for i in range(identities):
        ident = sample_identity(rng)
        sess = sample_session(rng, ident)
        imgs = renderer.render_batch(ident, sess, shapes, gaze, rng)
        for v in CAMERAS:
            out[v][i] = imgs[v]
    return out


def contact_sheet(identities: int = 6, seed: int = 0, size: int = 128) -> np.ndarray:
    """A single grayscale image: one block per view (rows = identities, columns = expressions), labelled."""
    import cv2

    frames = sheet_frames(identities, seed, size)
    n = len(SHEET_EXPRESSIONS)
    gap = 4
    label_h = 22
    blocks = []
    for view in CAMERAS:
        block = np.full((label_h + identities * (size + gap), n * (size + gap)), 255, np.uint8)
        for c, name in enumerate(SHEET_EXPRESSIONS):
            text = f"{view}: {name}" if c == 0 else name
            scale = 0.4 if size >= 96 else 0.3
            cv2.putText(block, text[: max(4, size // 6)] if c else text, (c * (size + gap) + 2, 16),
                        cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 1, cv2.LINE_AA)
            for r in range(identities):
                y0 = label_h + r * (size + gap)
                block[y0 : y0 + size, c * (size + gap) : c * (size + gap) + size] = frames[view][r, c]
        blocks.append(block)
    return np.vstack(blocks)
