"""One image of one camera -> a flat dict of named model outputs (the rows of `facebridge infer`)."""

from __future__ import annotations

import numpy as np

from bridge.inference.spec import LOWER_FACE_SHAPES
from bridge.inference.types import ModelInputs
from bridge.schema import AU10, BLENDSHAPE_NAMES, EMOTIVE5, EYE_SHAPES_LEFT, EYE_SHAPES_RIGHT, FER8

EYE_SHAPES = {"left": EYE_SHAPES_LEFT, "right": EYE_SHAPES_RIGHT}
# Shapes the mouth camera sees: jaw, mouth, cheek puff, tongue.
MOUTH_SHAPES: tuple[int, ...] = tuple(i for i, n in enumerate(BLENDSHAPE_NAMES)
                                      if n.startswith(("jaw", "mouth", "cheekPuff", "tongue")))


def row_columns(camera: str, side: str = "left") -> list[str]:
    """Column names (``file`` first) for ``camera``."""
    if camera == "eye":
        shapes = [BLENDSHAPE_NAMES[i] for i in EYE_SHAPES[side]]
        return (["file", "openness", "eyeBlink", "gaze_yaw", "gaze_pitch"] + shapes
                + [f"p_{c}" for c in EMOTIVE5] + [f"p_{a}" for a in AU10] + ["valence", "arousal"]
                + [f"eyes8_{c}" for c in FER8] + ["confidence"])
    if camera in ("mouth", "lower_face"):
        cols = ["file", "label"] + [f"p_{c}" for c in FER8]
        cols += [BLENDSHAPE_NAMES[i] for i in (MOUTH_SHAPES if camera == "mouth" else LOWER_FACE_SHAPES)]
        return cols + ["confidence"]
    raise ValueError(f"unknown camera {camera!r}; expected eye, mouth or lower_face")


def infer_row(models, image: np.ndarray, camera: str, side: str = "left") -> dict:
    """Run the models that take ``camera`` alone on one raw image (any size, gray or colour)."""
    from bridge.inference.preprocess import crop_view

    if camera == "eye":
        view = f"{side}_eye"
        out = models.predict(ModelInputs({view: crop_view(image, view, models.size)}))
        k = 0 if side == "left" else 1
        row: dict[str, object] = {
            "openness": float(out.openness[k]), "eyeBlink": float(out.blendshapes[EYE_SHAPES[side][0]]),
            "gaze_yaw": float(out.gaze[k, 0]), "gaze_pitch": float(out.gaze[k, 1])}
        row |= {BLENDSHAPE_NAMES[i]: float(out.blendshapes[i]) for i in EYE_SHAPES[side]}
        row |= {f"p_{c}": float(p) for c, p in zip(EMOTIVE5, out.emotive5, strict=True)}
        row |= {f"p_{a}": float(p) for a, p in zip(AU10, out.au10, strict=True)}
        row |= {"valence": float(out.valence), "arousal": float(out.arousal)}
        row |= {f"eyes8_{c}": float(p) for c, p in zip(FER8, out.emotion8_sources["eyes"], strict=True)}
        row["confidence"] = float(out.confidence[view])
        return row
    if camera in ("mouth", "lower_face"):
        out = models.predict(ModelInputs({camera: crop_view(image, camera, models.size)}))
        probs = out.emotion8_sources[camera]  # this camera's own classifier (not mixed with the shape vector)
        row = {"label": FER8[int(np.argmax(probs))]}
        row |= {f"p_{c}": float(p) for c, p in zip(FER8, probs, strict=True)}
        shapes = MOUTH_SHAPES if camera == "mouth" else LOWER_FACE_SHAPES
        for i in shapes:  # lower_face: the lower-face model's own shapes (NaN from a model file without them)
            row[BLENDSHAPE_NAMES[i]] = float(out.blendshapes[i]) if out.blendshapes is not None else float("nan")
        row["confidence"] = float(out.confidence[camera])
        return row
    raise ValueError(f"unknown camera {camera!r}; expected eye, mouth or lower_face")
