"""Runtime pieces without trained weights: crop policy, neutral reference, fusion, metrics, REFA formulas."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.evaluation import metrics as M
from bridge.evaluation.refa import recording_metrics, refa_metrics
from bridge.inference.fusion import FusionWeights, fuse
from bridge.inference.preprocess import crop_view, crop_view_u8, neutral_reference, neutral_references, to_gray_u8
from bridge.inference.types import ModelInputs
from bridge.schema import BLENDSHAPE_INDEX


def test_rgb_and_gray_give_the_same_crop():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (120, 90), dtype=np.uint8)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    np.testing.assert_array_equal(crop_view_u8(gray, "left_eye", 48), crop_view_u8(rgb, "left_eye", 48))


def test_eye_crop_keeps_the_centre_of_a_portrait_frame():
    img = np.zeros((640, 400), np.uint8)
    img[120:520] = 200  # the centred 400x400 square is bright, the rest dark
    crop = crop_view(img, "right_eye", 32)
    assert crop.shape == (32, 32) and crop.dtype == np.float32
    assert crop.min() > 0.7  # nothing of the dark top/bottom bands survives a centre crop


def test_lower_face_is_centre_cropped_and_its_upper_half_hidden():
    img = np.full((300, 200), 180, np.uint8)  # portrait face photo, uniformly bright...
    img[-40:] = 40  # ...with a dark band at the very bottom (outside the centred 200x200 square: cropped away)
    img[100:260, :10] = 90  # a grey stripe at the left edge inside the square: kept (no black bars)
    crop = crop_view_u8(img, "lower_face", 40)
    assert crop[:20].max() == 0  # upper half blacked out
    assert crop[39, 20] > 150  # the dark bottom band was cropped, not squeezed in
    assert 60 < crop[30, 0] < 120  # the left edge is image content, not a letterbox bar
    wide = crop_view_u8(np.full((240, 320), 180, np.uint8), "lower_face", 48)  # 4:3 webcam: sides cropped
    assert wide[24:].min() > 150


def test_bad_images_raise_clear_errors():
    with pytest.raises(ValueError, match="mouth"):
        to_gray_u8(np.zeros((1, 5), np.uint8), "mouth")
    with pytest.raises(ValueError, match="unknown camera view"):
        crop_view_u8(np.zeros((10, 10), np.uint8), "nose", 8)
    with pytest.raises(ValueError, match="non-empty"):
        neutral_reference([])


def test_neutral_references_average_the_eye_crops_only():
    a = np.zeros((8, 8), np.float32)
    b = np.ones((8, 8), np.float32)
    refs = neutral_references([ModelInputs({"left_eye": a, "mouth": a}), ModelInputs({"left_eye": b})])
    assert set(refs) == {"left_eye"}
    np.testing.assert_allclose(refs["left_eye"], 0.5)


def test_fusion_pools_present_sources_and_ignores_missing():
    w = FusionWeights({"eyes": 1.0, "mouth": 2.0, "lower_face": 1.0, "shapes": 1.0}, np.zeros(8, np.float32))
    eyes = np.full(8, 1 / 8, np.float32)
    mouth = np.array([0.65, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05], np.float32)
    p = fuse({"eyes": eyes, "mouth": mouth}, w)
    assert abs(p.sum() - 1) < 1e-5 and p.argmax() == 0
    assert p[0] > mouth[0]  # weight 2 sharpens the mouth source
    assert fuse({}, w) is None
    np.testing.assert_allclose(fuse({"eyes": eyes}, w), eyes, atol=1e-6)  # a uniform source stays uniform


def test_fusion_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "fusion.json"
    bad.write_text('{"weights": {"eyes": 1}, "bias": [0, 0]}')
    with pytest.raises(ValueError, match="fusion.json"):
        FusionWeights.load(bad)


def test_classification_metrics_and_tables():
    y = np.array([0, 0, 1, 1, 2])
    p = np.array([0, 1, 1, 1, 0])
    cm = M.confusion_matrix(y, p, 3)
    rows = M.per_class_table(cm, ("a", "b", "c"))
    assert rows[1]["precision"] == pytest.approx(2 / 3) and rows[1]["recall"] == 1.0 and rows[2]["support"] == 1
    assert M.accuracy(y, p) == pytest.approx(0.6)
    acc, t, _ = M.single_label_top1(np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1]]), np.eye(3)[[0, 0, 1]])
    assert acc == 0.5 and list(t) == [0, 2]  # the two-AU frame is excluded


def test_affect_metrics():
    y = np.linspace(-1, 1, 50)
    assert M.ccc(y, y) == pytest.approx(1.0)
    assert M.ccc(y, 0.5 * y) < M.pearson(y, 0.5 * y) == pytest.approx(1.0)  # CCC punishes scale, r does not
    assert M.sagr(y, -y) == 0.0 and M.sagr(y, y + 0.01) > 0.95
    assert M.rmse(y, y + 0.1) == pytest.approx(0.1)


def _recording(n=60):
    gt = np.zeros((n, 52), np.float32)
    peak = np.zeros(n, bool)
    hold = np.zeros(n, bool)
    hold[:10] = True
    gt[30:40, BLENDSHAPE_INDEX["mouthSmileLeft"]] = 0.8
    gt[30:40, BLENDSHAPE_INDEX["eyeBlinkLeft"]] = 1.0
    peak[30:40] = True
    return gt, peak, hold


def test_refa_metrics_are_perfect_for_perfect_predictions_and_drop_for_bad_ones():
    gt, peak, hold = _recording()
    perfect = recording_metrics(gt, gt, peak, hold)
    assert all(v == pytest.approx(1.0) for v in perfect.values())
    bad = gt.copy()
    bad[30:40, BLENDSHAPE_INDEX["mouthSmileLeft"]] = 0.3  # under-activated at the peak
    bad[30:40, BLENDSHAPE_INDEX["eyeBlinkLeft"]] = 0.5  # avatar eye not fully closed
    bad[:10, BLENDSHAPE_INDEX["browInnerUp"]] = 0.5  # not neutral while neutral
    bad[:, BLENDSHAPE_INDEX["jawOpen"]] = np.random.default_rng(0).random(len(gt)) * 0.3  # jittery, mouth open
    m = recording_metrics(bad, gt, peak, hold)
    assert m["semantic_accuracy"] == 0.0 and m["eye_closure"] == 0.0 and m["neutralness"] == 0.0
    assert m["smoothness"] < 0.9 and m["mouth_closure"] < 0.8


def test_refa_aggregates_per_subject_then_over_subjects():
    gt, peak, hold = _recording()
    pred_good, pred_bad = gt.copy(), gt.copy()
    pred_bad[30:40, BLENDSHAPE_INDEX["eyeBlinkLeft"]] = 0.0
    n = len(gt)
    # subject 0 has two recordings (one good, one bad) -> 0.5; subject 1 one good -> 1.0; dataset -> 0.75
    pred = np.concatenate([pred_good, pred_bad, pred_good])
    out = refa_metrics(pred, np.concatenate([gt] * 3), np.repeat([0, 0, 1], n), np.repeat([0, 1, 0], n),
                       np.tile(np.arange(n), 3), np.tile(peak, 3), np.tile(hold, 3))
    assert out["eye_closure"] == pytest.approx(0.75)
