"""Blendshape output calibration (training side) and the one-view re-render tool."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.evaluation.refa import LOOK  # noqa: E402
from bridge.training.calibrate import fit_shape_calibration  # noqa: E402
from bridge.training.nets import BlendshapeNet, CalibratedBlendshapeNet  # noqa: E402


def _undershooting_predictions(n: int = 600, shapes: int = 4, seed: int = 0, rest: float = 0.21):
    """Truth with neutral holds and apexes; a predictor that reaches only 45 % of apexes (+rest) and rests at rest.
    Two subjects, two recordings each (identity, session, time), as REFA aggregates them."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((n, shapes), np.float32)
    peak = np.zeros(n, bool)
    neutral = np.zeros(n, bool)
    neutral[:200] = True
    peak[300:] = True
    gt[300:] = rng.uniform(0.4, 1.0, (n - 300, shapes))
    pred = np.clip(0.45 * gt + rest + rng.normal(0, 0.01, gt.shape), 0, 1).astype(np.float32)
    identity = np.arange(n) % 2
    session = (np.arange(n) // 2) % 2
    time = np.arange(n) / 15.0
    return pred, gt, identity, session, time, peak, neutral


def _refa(pred, gt, identity, session, time, peak, neutral):
    from bridge.evaluation.refa import refa_metrics

    out = refa_metrics(pred, gt, identity, session, time, peak, neutral)
    out.pop("per_subject")
    return out | {"mae": float(np.abs(pred - gt).mean())}


def test_refa_sums_equal_the_report_metrics_before_and_after_a_column_changes():
    from bridge.training.calibrate import RefaSums, calibrated

    rng = np.random.default_rng(3)
    n = 900
    gt = np.where(rng.random((n, 52)) < 0.3, rng.random((n, 52)), 0).astype(np.float32)
    gt[:, [9, 10]] = (rng.random((n, 2)) < 0.2)  # eyeBlinkLeft/Right: some fully closed frames
    pred = np.clip(gt + rng.normal(0, 0.15, gt.shape), 0, 1).astype(np.float32)
    identity, session = rng.integers(0, 4, n), rng.integers(0, 3, n)
    time, peak, neutral = rng.random(n), rng.random(n) < 0.3, rng.random(n) < 0.3
    gt[neutral] *= rng.random((int(neutral.sum()), 1)) < 0.5  # half the neutral-hold frames truly neutral
    args = (gt, identity, session, time, peak, neutral)
    sums = RefaSums(pred, *args)
    for k, v in _refa(pred, *args).items():
        assert sums.metrics()[k] == pytest.approx(v, abs=1e-6), k
    for j in (9, 25, 17):  # eyeBlinkLeft, jawOpen, mouthClose... any column: the replaced metrics match too
        new = pred.copy()
        new[:, j] = calibrated(pred[:, j], 0.05, 1.6)
        for k, v in _refa(new, *args).items():
            assert sums.metrics(j, new[:, j])[k] == pytest.approx(v, abs=1e-6), (j, k)
        sums.set_column(j, new[:, j])
        pred = new


def test_calibration_lifts_refa_semantic_accuracy_of_an_undershooting_predictor_and_keeps_neutralness():
    pred, gt, identity, session, time, peak, neutral = _undershooting_predictions(shapes=52, rest=0.08)
    dead, gain = fit_shape_calibration(pred, gt, identity, session, time, peak, neutral, np.ones(52, bool))
    assert (gain[np.flatnonzero(~LOOK)] > 1).all() and (gain[LOOK] == 1).all()  # eyeLook* have no expression label
    calibrated = np.clip((pred - dead) * gain, 0, 1)
    before = _refa(pred, gt, identity, session, time, peak, neutral)
    after = _refa(calibrated, gt, identity, session, time, peak, neutral)
    assert before["semantic_accuracy"] < 0.2 and after["semantic_accuracy"] > 0.9
    assert before["neutralness"] == 1.0 and after["neutralness"] >= 0.8  # the default floor
    assert after["mae"] < before["mae"]


def test_calibration_holds_the_joint_neutralness_floor_that_per_shape_scores_miss():
    """Each shape alone would gladly take a gain that lifts its apexes, but 40 shapes resting at ~0.14 with a
    1.5x gain put almost every neutral frame over 0.2 (REFA's max over shapes). The joint fit must stop at the floor."""
    from bridge.training.calibrate import CalibrationFloors

    rng = np.random.default_rng(4)
    n = 800
    pred, gt, identity, session, time, peak, neutral = _undershooting_predictions(n=n, shapes=52)
    gt[300:] = rng.uniform(0.3, 0.6, (n - 300, 52))
    pred = np.clip(0.6 * gt + 0.02 + rng.normal(0, 0.01, gt.shape), 0, 1).astype(np.float32)
    pred[:300, :40] = np.clip(0.14 + rng.normal(0, 0.02, (300, 40)), 0, 1)  # resting floor on 40 shapes
    floors = CalibrationFloors(neutralness=0.9, slack=1.0, mae_increase=1.0, secondary=0.0, eye_margin=0.0)
    dead, gain = fit_shape_calibration(pred, gt, identity, session, time, peak, neutral, np.ones(52, bool), floors)
    out = _refa(np.clip((pred - dead) * gain, 0, 1), gt, identity, session, time, peak, neutral)
    raw = _refa(pred, gt, identity, session, time, peak, neutral)
    assert raw["neutralness"] >= 0.9  # the raw model already meets the floor ...
    assert out["neutralness"] >= 0.9  # ... and the fit keeps it
    assert out["semantic_accuracy"] > raw["semantic_accuracy"] + 0.3  # while buying semantic accuracy


def test_calibration_leaves_excluded_shapes_alone_and_the_wrapper_applies_it():
    pred, gt, identity, session, time, peak, neutral = _undershooting_predictions(shapes=52)
    keep = np.zeros(52, bool)
    keep[:3] = True
    dead, gain = fit_shape_calibration(pred, gt, identity, session, time, peak, neutral, keep)
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


def test_crossfit_score_fits_on_the_other_identities_and_scores_with_the_calibration_objective():
    from bridge.training.calibrate import (
        CalibrationFloors,
        RefaSums,
        calibrated,
        calibration_objective,
        crossfit_calibration_score,
    )

    pred, gt, identity, session, time, peak, neutral = _undershooting_predictions(shapes=52, rest=0.08)
    pred[identity == 1] = np.clip(pred[identity == 1] * 1.3, 0, 1)  # the two people differ
    calibrate = np.zeros(52, bool)
    calibrate[[17, 25, 30, 40]] = True  # a few shapes keep the test fast
    res = crossfit_calibration_score(pred, gt, identity, session, time, peak, neutral, calibrate)
    floors = CalibrationFloors()
    manual = []
    for held in (0, 1):  # rank % 2: identity 0 is group 0
        fit_m, score_m = identity != held, identity == held
        part = [a[fit_m] for a in (gt, identity, session, time, peak, neutral)]
        dead, gain = fit_shape_calibration(pred[fit_m], *part, calibrate)
        held_part = [a[score_m] for a in (gt, identity, session, time, peak, neutral)]
        raw = RefaSums(pred[score_m], *held_part, floors.eye_margin).metrics()
        cal = RefaSums(calibrated(pred[score_m], dead, gain), *held_part, floors.eye_margin).metrics()
        manual.append(calibration_objective(raw, floors)(cal))
    assert res["objectives"] == pytest.approx(manual)
    assert res["objective"] == pytest.approx(np.mean(manual))
    assert 0.0 <= res["metrics"]["semantic_accuracy"] <= 1.0 and res["metrics"]["mae"] > 0
    # two people can be halved one way only: the default 4 repeats shrink to 1
    assert len(res["objectives"]) == 2
    with pytest.raises(ValueError):
        crossfit_calibration_score(pred, gt, np.zeros_like(identity), session, time, peak, neutral, calibrate)
