"""Blendshape output calibration (training side) and the one-view re-render tool."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.evaluation.refa import recording_metrics  # noqa: E402
from bridge.training.calibrate import fit_shape_calibration  # noqa: E402
from bridge.training.nets import BlendshapeNet, CalibratedBlendshapeNet  # noqa: E402


def _undershooting_predictions(n: int = 600, shapes: int = 4, seed: int = 0):
    """Truth with neutral holds and apexes; a predictor that reaches only 45 % of apexes (+0.21) and rests at 0.21."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((n, shapes), np.float32)
    peak = np.zeros(n, bool)
    neutral = np.zeros(n, bool)
    neutral[:200] = True
    peak[300:] = True
    gt[300:] = rng.uniform(0.4, 1.0, (n - 300, shapes))
    pred = np.clip(0.45 * gt + 0.21 + rng.normal(0, 0.01, gt.shape), 0, 1).astype(np.float32)
    return pred, gt, peak, neutral


def test_calibration_lifts_refa_semantic_accuracy_and_neutralness_of_an_undershooting_predictor():
    pred, gt, peak, neutral = _undershooting_predictions(shapes=52)  # REFA metrics need the canonical 52
    dead, gain = fit_shape_calibration(pred, gt, peak, neutral, np.ones(52, bool))
    assert (dead > 0).all() and (gain > 1).all()
    calibrated = np.clip((pred - dead) * gain, 0, 1)
    before = recording_metrics(pred, gt, peak, neutral)
    after = recording_metrics(calibrated, gt, peak, neutral)
    assert before["neutralness"] == 0.0 and after["neutralness"] > 0.05  # a max over 52 noisy shapes: strict
    assert after["semantic_accuracy"] > before["semantic_accuracy"]
    assert np.abs(calibrated - gt).mean() < np.abs(pred - gt).mean()


def test_calibration_leaves_excluded_shapes_alone_and_the_wrapper_applies_it():
    pred, gt, peak, neutral = _undershooting_predictions(shapes=52)
    keep = np.zeros(52, bool)
    keep[:3] = True
    dead, gain = fit_shape_calibration(pred, gt, peak, neutral, keep)
    assert (dead[3:] == 0).all() and (gain[3:] == 1).all()
    net = BlendshapeNet(16, 4).eval()
    wrapped = CalibratedBlendshapeNet(net, dead, gain).eval()
    x = [torch.rand(2, 1, 16, 16) for _ in range(3)]
    with torch.no_grad():
        raw = net(*x)[0]
        cal, gaze, openness = wrapped(*x)
    expected = ((raw - torch.from_numpy(dead)) * torch.from_numpy(gain)).clamp(0, 1)
    torch.testing.assert_close(cal, expected)
    assert gaze.shape == (2, 2, 2) and openness.shape == (2, 2)


def test_rerender_one_view_keeps_labels_and_other_views(tmp_path):
    from bridge.synth.dataset import write_dataset
    from bridge.training.rerender_view import rerender_view

    sizes = {"mouth": (24, 24), "lower_face": (24, 24)}
    write_dataset(tmp_path, identities=2, seconds=2, seed=5, workers=1, sizes=sizes, progress=False, fps=10.0)
    files = sorted(tmp_path.glob("id*.npz"))
    before = {f.name: dict(np.load(f)) for f in files}
    assert rerender_view(tmp_path, "lower_face", workers=1, log=lambda _m: None) == len(files)
    for f in files:
        after = np.load(f)
        old = before[f.name]
        np.testing.assert_array_equal(after["mouth"], old["mouth"])
        np.testing.assert_array_equal(after["blendshapes"], old["blendshapes"])
        assert after["lower_face"].shape == old["lower_face"].shape
    assert json.loads((tmp_path / "rerendered_lower_face.json").read_text()) == [f.name for f in files]
    assert rerender_view(tmp_path, "lower_face", workers=1) == 0  # resumable: nothing left to do
    with pytest.raises(ValueError, match="no view"):
        rerender_view(tmp_path, "left_eye")


def test_au_bias_recovers_a_shifted_au_and_affect_affine_matches_the_spread():
    from bridge.evaluation.metrics import ccc, single_label_top1
    from bridge.training.calibrate import fit_affect_affine, fit_au_bias
    from bridge.training.nets import CalibratedEyemotionNet, EyemotionNet

    rng = np.random.default_rng(1)
    n = 800
    truth = np.zeros((n, 10), bool)
    truth[np.arange(n), rng.integers(0, 10, n)] = True
    logits = np.where(truth, 1.0, -1.0) + rng.normal(0, 0.6, truth.shape)
    logits[:, 3] -= 1.5  # AU 3 is systematically under-called: its frames lose the arg-max
    bias = fit_au_bias(logits, truth)
    assert bias[3] > 0.75
    before = single_label_top1(truth, logits)[0]
    after = single_label_top1(truth, logits + bias)[0]
    assert after > before + 0.05
    target = rng.uniform(-0.8, 0.8, (n, 2))
    shrunk = 0.3 * target + 0.1 + rng.normal(0, 0.05, target.shape)  # right direction, far too narrow, offset
    scale, shift = fit_affect_affine(shrunk, target)
    fixed = shrunk * scale + shift
    for d in range(2):
        assert ccc(target[:, d], fixed[:, d]) > ccc(target[:, d], shrunk[:, d]) + 0.2
    net = CalibratedEyemotionNet(EyemotionNet(8, 4), bias, scale, shift).eval()
    net.export = True
    with torch.no_grad():
        e5, au, e8, va = net(torch.rand(3, 2, 8, 16))
    assert torch.allclose(e5.sum(1), torch.ones(3)) and au.shape == (3, 10) and va.abs().max() <= 1.0


def test_protect_neutralness_restores_the_joint_neutral_pass_rate():
    from bridge.training.calibrate import protect_neutralness

    rng = np.random.default_rng(2)
    n, k = 400, 52
    gt = np.zeros((n, k), np.float32)
    neutral = np.ones(n, bool)
    pred = np.abs(rng.normal(0.0, 0.03, (n, k))).astype(np.float32)
    pred[:, 5] += 0.12  # one shape rests at ~0.14: raw passes (< 0.2) but a 1.8x gain pushes it over
    keep = np.ones(k, bool)
    dead, gain = np.zeros(k, np.float32), np.full(k, 1.8, np.float32)

    def joint(d, g):
        return (np.clip((pred - d) * g, 0, 1).max(1) < 0.2).mean()

    raw = (pred.max(1) < 0.2).mean()
    assert joint(dead, gain) < raw - 0.3
    new_dead, new_gain = protect_neutralness(pred, gt, neutral, dead, gain, keep)
    assert joint(new_dead, new_gain) >= raw
    assert new_dead[5] > 0  # the offending shape got the dead zone
