"""The shipped ONNX models: present, loadable, hashes and shapes as the model card says, small enough."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bridge.inference.onnx_models import DEFAULT_MODEL_DIR, OnnxFaceModels
from bridge.inference.spec import ALL_SPECS, CARD_FILE, FUSION_FILE, METADATA_FILE
from bridge.training.card import read_card_hashes, sha256

ort = pytest.importorskip("onnxruntime")


def test_every_model_file_matches_the_card_hash():
    hashes = read_card_hashes(DEFAULT_MODEL_DIR)
    expected = {s.file for s in ALL_SPECS} | {FUSION_FILE}
    assert set(hashes) == expected, f"{CARD_FILE} lists {sorted(hashes)}"
    for name, digest in hashes.items():
        assert sha256(DEFAULT_MODEL_DIR / name) == digest, f"{name} differs from the model card: re-run training"


def test_models_load_with_the_card_shapes_and_stay_small():
    meta = json.loads((DEFAULT_MODEL_DIR / METADATA_FILE).read_text())
    for spec in ALL_SPECS:
        path = DEFAULT_MODEL_DIR / spec.file
        assert path.stat().st_size <= 5 * 1024 * 1024, f"{spec.file} is over 5 MB"
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        card = meta["files"][spec.file]
        assert [i.name for i in sess.get_inputs()] == list(spec.inputs)
        assert [o.name for o in sess.get_outputs()] == list(spec.outputs)
        assert {i.name: list(i.shape) for i in sess.get_inputs()} == card["inputs"]
        assert {o.name: list(o.shape) for o in sess.get_outputs()} == card["outputs"]


def test_loaded_set_runs_every_model_on_a_full_frame_set():
    models = OnnxFaceModels.load()
    assert set(models.available) == {s.key for s in ALL_SPECS}
    rng = np.random.default_rng(0)
    from bridge.inference.types import ModelInputs

    imgs = {v: rng.random((models.size, models.size), dtype=np.float32)
            for v in ("left_eye", "right_eye", "mouth", "lower_face")}
    out = models.predict(ModelInputs(imgs), neutral={"left_eye": imgs["left_eye"], "right_eye": imgs["right_eye"]})
    assert out.blendshapes.shape == (52,) and out.blendshapes.min() >= 0 and out.blendshapes.max() <= 1
    assert out.gaze.shape == (2, 2) and out.openness.shape == (2,)
    assert abs(out.emotive5.sum() - 1) < 1e-4 and out.au10.shape == (10,)
    assert set(out.emotion8_sources) == {"eyes", "mouth", "lower_face", "shapes"}
    assert abs(out.emotion8.sum() - 1) < 1e-4
    assert -1 <= out.valence <= 1 and -1 <= out.arousal <= 1
    assert out.personalized


def test_missing_folder_gives_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="facebridge train"):
        OnnxFaceModels.load(tmp_path)


def test_corrupt_model_file_gives_a_clear_error(tmp_path: Path):
    (tmp_path / "mouth8.onnx").write_bytes(b"not an onnx file")
    with pytest.raises(ValueError, match="mouth8.onnx"):
        OnnxFaceModels.load(tmp_path)


def test_preprocess_drops_an_unusable_view_and_predict_still_runs():
    from bridge.frames import FrameSet

    models = OnnxFaceModels.load()
    rng = np.random.default_rng(1)
    frames = FrameSet({"left_eye": rng.integers(0, 256, (1, 1), dtype=np.uint8),  # glitch: a 1-pixel frame
                       "right_eye": rng.integers(0, 256, (240, 320), dtype=np.uint8),
                       "mouth": rng.integers(0, 256, (200, 200), dtype=np.uint8)}, capture_time=0.0, sequence=1)
    inputs = models.preprocess(frames)
    assert set(inputs.images) == {"right_eye", "mouth"}
    out = models.predict(inputs)
    assert out.confidence["left_eye"] == 0.0 and out.blendshapes is not None
    # one eye camera: the missing eye copies the present eye's per-eye outputs
    np.testing.assert_allclose(out.blendshapes[0:7], out.blendshapes[7:14])
    np.testing.assert_allclose(out.openness[0], out.openness[1])


def test_predict_without_eye_cameras_leaves_eye_outputs_empty():
    models = OnnxFaceModels.load()
    from bridge.inference.types import ModelInputs

    out = models.predict(ModelInputs({"mouth": np.full((models.size, models.size), 0.5, np.float32)}))
    assert out.gaze is None and out.openness is None and out.emotive5 is None and out.valence is None
    assert set(out.emotion8_sources) == {"mouth", "shapes"} and out.emotion8 is not None
    assert out.blendshapes[:14].max() == 0.0
    with pytest.raises(ValueError, match="expected"):
        models.predict(ModelInputs({"mouth": np.zeros((7, 7), np.float32)}))


def test_source_table_names_evaluation_only_sets_with_zero_training_images():
    from bridge.training.card import source_table

    m = {"name": "NIR faces", "repo": "o/r", "commit": "c" * 40, "licence": "MIT", "use": "a real check",
         "counts": {"val": {"images": 193, "persons": 19}}}
    train = dict(m, name="MRL", counts={"train": {"images": 10, "persons": 2}, "val": {"images": 5, "persons": 1}})
    rows = source_table({"mrl": train}, {"nir": m})
    assert any(r.startswith("| MRL (`mrl`)") and "| 10 | 5 (1) |" in r for r in rows)
    nir = [r for r in rows if r.startswith("| NIR faces (`nir`)")]
    assert nir and "evaluation only: a real check | 0 | 193 (19) |" in nir[0]


def test_shipped_card_names_every_approved_source():
    card = (DEFAULT_MODEL_DIR / CARD_FILE).read_text()
    for repo in ("sbettid/Driver-Drowsiness-Detection", "nahueespinosa/pupil_finder",
                 "itmo-cv-lab/eye-tracking-dataset", "Felixned/BiometricSystems", "tessav/crowd-emotion",
                 "kalabto2/Facial-expression-analysis-from-NIR-image", "fantopop/smile-detection",
                 "sehyunlee217/aps360_project"):
        assert f"github:{repo}" in card, f"{CARD_FILE} does not name {repo}"
