"""The shipped model set on onnxruntime, behind the FaceModels protocol.

``OnnxFaceModels.load()`` opens every ONNX file in bridge/models (one intra-op thread each: all models together are
well under a millisecond, and the other cores belong to the cameras and outputs). ``preprocess`` applies the crop
policy of bridge/inference/preprocess.py; ``predict`` runs every model whose cameras are present:

* blendshapes (REFA): needs at least one of left_eye/right_eye/mouth; a missing view is fed as a black image (the
  model was trained with camera dropout). A missing eye copies the other eye's per-eye outputs (one-eye headsets);
* eyemotion (emotive5, AU10, eye emotion8, eyes-only valence/arousal): the two eye crops side by side; with one
  eye the missing one is the mirror image of the present one. Personalized when ``neutral`` holds both eye means;
* mouth8 on the mouth camera, lower_face8 on the external camera's face crop: its emotion8 AND its jaw/mouth/cheek/
  nose/tongue shapes, which fill the blendshape vector's lower-face part whenever no headset mouth camera is present
  (a webcam under a headset moves the avatar's mouth; with only the webcam, eye shapes stay 0);
* expression_vector8 on the predicted blendshapes;
* fusion of the present emotion8 sources (bridge/inference/fusion.py).
Input buffers are allocated once and reused; the object is not thread-safe (one per pipeline thread).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bridge.frames import FrameSet
from bridge.inference.fusion import FusionWeights, fuse
from bridge.inference.preprocess import crop_view
from bridge.inference.spec import (
    ALL_SPECS,
    BLENDSHAPES,
    EXPRESSION_VECTOR8,
    EYEMOTION,
    FUSION_FILE,
    LOWER_FACE8,
    LOWER_FACE_SHAPES,
    MOUTH8,
    NUM_BLENDSHAPES,
    ModelSpec,
)
from bridge.inference.types import ModelInputs, ModelOutputs
from bridge.schema import EYE_SHAPES_LEFT, EYE_SHAPES_RIGHT, REGIONS

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
CONTRAST_FOR_FULL_CONFIDENCE = 0.06  # std of a 0..1 crop; black/flat/overexposed frames fall below it


@dataclass(slots=True)
class _Model:
    spec: ModelSpec
    session: Any  # onnxruntime.InferenceSession
    buffers: tuple[np.ndarray, ...]  # one preallocated batch-1 input per ONNX input
    outputs: tuple[str, ...]  # the spec's outputs this file has (older lower_face8 files lack "shapes")

    def run(self) -> list[np.ndarray]:
        return self.session.run(list(self.outputs), dict(zip(self.spec.inputs, self.buffers, strict=True)))


class OnnxFaceModels:
    """The shipped ONNX model set (implements bridge.inference.types.FaceModels)."""

    def __init__(self, models: dict[str, _Model], size: int, fusion: FusionWeights, model_dir: Path) -> None:
        self._m = models
        self.size = size
        self.fusion = fusion
        self.model_dir = model_dir
        self._lf_index = np.array(LOWER_FACE_SHAPES, np.intp)

    @classmethod
    def load(cls, model_dir: str | os.PathLike | None = None, threads: int = 1) -> OnnxFaceModels:
        """Open every model file present in ``model_dir`` (default: the shipped bridge/models).

        Raises FileNotFoundError when the directory holds none of them, ValueError when the files disagree on the
        input resolution or a file is not a valid model.
        """
        import onnxruntime as ort

        model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        models: dict[str, _Model] = {}
        sizes: set[int] = set()
        for spec in ALL_SPECS:
            path = model_dir / spec.file
            if not path.exists():
                continue
            try:
                sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises several private exception types
                raise ValueError(f"{path}: onnxruntime cannot load it ({exc}); re-run `facebridge train`") from exc
            names = tuple(i.name for i in sess.get_inputs())
            if names != spec.inputs:
                raise ValueError(f"{path}: inputs {names} do not match the expected {spec.inputs}")
            buffers = tuple(np.zeros([1] + list(i.shape[1:]), np.float32) for i in sess.get_inputs())
            if spec.key != EXPRESSION_VECTOR8.key:
                sizes.add(int(buffers[0].shape[2]))
            have = {o.name for o in sess.get_outputs()}
            outputs = tuple(o for o in spec.outputs if o in have)
            if not outputs or outputs[0] != spec.outputs[0]:
                raise ValueError(f"{path}: outputs {sorted(have)} do not include the expected {spec.outputs[0]!r}")
            models[spec.key] = _Model(spec, sess, buffers, outputs)
        if not models:
            raise FileNotFoundError(f"{model_dir}: no model files ({', '.join(s.file for s in ALL_SPECS)}); "
                                    "run `facebridge train` or pass the folder that holds them")
        if len(sizes) != 1:
            raise ValueError(f"{model_dir}: models disagree on input resolution {sorted(sizes)}")
        fusion_path = model_dir / FUSION_FILE
        fusion = FusionWeights.load(fusion_path) if fusion_path.exists() else FusionWeights.uniform()
        return cls(models, sizes.pop(), fusion, model_dir)

    @property
    def available(self) -> tuple[str, ...]:
        """Keys of the loaded models."""
        return tuple(self._m)

    # ------------------------------------------------------------------ FaceModels protocol
    def preprocess(self, frames: FrameSet) -> ModelInputs:
        """Crop every view of ``frames`` to model resolution (policy: bridge/inference/preprocess.py).

        A view that cannot be cropped (e.g. a 1-pixel frame from a glitching camera) is left out, so the models
        treat that camera as missing for this frame instead of failing the whole frame set.
        """
        images = {}
        for view, img in frames.images.items():
            try:
                images[view] = crop_view(img, view, self.size)
            except ValueError:
                continue
        return ModelInputs(images)

    def predict(self, inputs: ModelInputs, neutral: dict[str, np.ndarray] | None = None) -> ModelOutputs:
        """Run every model whose cameras are present (see the module docstring)."""
        imgs = inputs.images
        for v, img in imgs.items():
            if img.shape != (self.size, self.size):
                raise ValueError(f"ModelInputs[{v!r}] has shape {img.shape}; expected ({self.size}, {self.size}) "
                                 "from OnnxFaceModels.preprocess")
        out: dict = {"confidence": {r: _contrast_confidence(imgs[r]) if r in imgs else 0.0 for r in REGIONS}}
        sources: dict[str, np.ndarray] = {}
        has_l, has_r = "left_eye" in imgs, "right_eye" in imgs
        if BLENDSHAPES.key in self._m and (has_l or has_r or "mouth" in imgs):
            out |= self._blendshapes(imgs)
        if has_l or has_r:
            left = imgs["left_eye"] if has_l else imgs["right_eye"][:, ::-1]
            right = imgs["right_eye"] if has_r else imgs["left_eye"][:, ::-1]
            ref = None
            if neutral is not None and "left_eye" in neutral and "right_eye" in neutral:
                ref = (neutral["left_eye"], neutral["right_eye"])
            if EYEMOTION.key in self._m:
                e5, au, e8, va = self._eyemotion(left, right, ref)
                out |= {"emotive5": e5, "au10": au, "personalized": ref is not None, "valence": float(va[0]),
                        "arousal": float(va[1])}
                sources["eyes"] = e8
        if "mouth" in imgs and MOUTH8.key in self._m:
            m = self._m[MOUTH8.key]
            m.buffers[0][0, 0] = imgs["mouth"]
            sources["mouth"] = m.run()[0][0]
        if "lower_face" in imgs and LOWER_FACE8.key in self._m:
            m = self._m[LOWER_FACE8.key]
            m.buffers[0][0, 0] = imgs["lower_face"]
            res = m.run()
            sources["lower_face"] = res[0][0]
            if len(res) > 1 and "mouth" not in imgs:  # the headset mouth camera, when present, wins
                shapes = out.get("blendshapes")
                if shapes is None:
                    shapes = np.zeros(NUM_BLENDSHAPES, np.float32)
                shapes[self._lf_index] = res[1][0]
                out["blendshapes"] = shapes
        headset = has_l or has_r or "mouth" in imgs  # the expression vector was trained on headset shapes only
        if headset and out.get("blendshapes") is not None and EXPRESSION_VECTOR8.key in self._m:
            m = self._m[EXPRESSION_VECTOR8.key]
            m.buffers[0][0] = out["blendshapes"]
            sources["shapes"] = m.run()[0][0]
        return ModelOutputs(**out, emotion8_sources=sources, emotion8=fuse(sources, self.fusion))

    # ------------------------------------------------------------------ per-model helpers
    def _blendshapes(self, imgs: dict[str, np.ndarray]) -> dict:
        m = self._m[BLENDSHAPES.key]
        for buf, view in zip(m.buffers, BLENDSHAPES.inputs, strict=True):
            if view in imgs:
                buf[0, 0] = imgs[view]
            else:
                buf.fill(0.0)  # trained with camera dropout: a black view means "no camera"
        shapes, gaze, openness = (a[0].copy() for a in m.run())
        has_l, has_r = "left_eye" in imgs, "right_eye" in imgs
        if has_l != has_r:  # one eye camera: the missing eye copies the present one
            src, dst = (EYE_SHAPES_LEFT, EYE_SHAPES_RIGHT) if has_l else (EYE_SHAPES_RIGHT, EYE_SHAPES_LEFT)
            shapes[list(dst)] = shapes[list(src)]
            s, d = (0, 1) if has_l else (1, 0)
            gaze[d], openness[d] = gaze[s], openness[s]
        result = {"blendshapes": shapes}
        if has_l or has_r:
            result |= {"gaze": gaze, "openness": openness}
        else:
            shapes[list(EYE_SHAPES_LEFT + EYE_SHAPES_RIGHT)] = 0.0  # no eye camera: eyes stay neutral
        return result

    def _eyemotion(self, left: np.ndarray, right: np.ndarray, ref: tuple[np.ndarray, np.ndarray] | None):
        m = self._m[EYEMOTION.key]
        buf = m.buffers[0]
        s = self.size
        buf[0, 0, :, :s] = left
        buf[0, 0, :, s:] = right
        if ref is None:
            buf[0, 1].fill(0.0)
        else:
            np.subtract(left, ref[0], out=buf[0, 1, :, :s])
            np.subtract(right, ref[1], out=buf[0, 1, :, s:])
        e5, au, e8, va = m.run()
        return e5[0], au[0], e8[0], va[0]

    def run_batch(self, key: str, *arrays: np.ndarray) -> list[np.ndarray]:
        """Run one model on a whole batch (evaluation and `infer`); arrays must match the ONNX inputs."""
        m = self._m[key]
        return m.session.run(list(m.outputs), dict(zip(m.spec.inputs, arrays, strict=True)))


def _contrast_confidence(img: np.ndarray) -> float:
    """0..1 from the crop's contrast: a covered, black or blown-out camera gives a flat image.

    Every 3rd pixel in both directions is plenty for a contrast estimate and 9x cheaper than the full crop.
    """
    return float(min(1.0, float(img[::3, ::3].std()) / CONTRAST_FOR_FULL_CONFIDENCE))
