"""Model selection: the guarded best-validation rule (loop.better, guard.py), the blendshape band mean
(selection.py: the mean of the epochs near the best validation score) and eyemotion's smoothed best epoch."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.training.loop import FitConfig, better, fit, pick_epoch  # noqa: E402


def _h(epoch, val, passed=None):
    entry = {"epoch": epoch, "val": val}
    if passed is not None:
        entry["guard"] = {"passed": passed}
    return entry


def test_pick_epoch_takes_the_best_score_among_guarded_epochs_and_falls_back_when_none_pass():
    history = [_h(1, 0.70, True), _h(2, 0.79, True), _h(3, 0.81, False), _h(4, 0.80, True), _h(5, 0.82, False)]
    assert pick_epoch(history)["epoch"] == 4
    assert pick_epoch([_h(1, 0.7, False), _h(2, 0.8, False)])["epoch"] == 2  # nothing passes: best score
    assert pick_epoch([_h(1, 0.7), _h(2, 0.8)])["epoch"] == 2  # no guard at all: the plain rule
    assert better(_h(3, 0.1, True), _h(2, 0.9, False)) and not better(_h(3, 0.9, False), _h(2, 0.1, True))


def test_fit_with_a_guard_ends_on_the_selected_epoch(tmp_path):
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(256, 4)).astype(np.float32))
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]])
    calls = {"n": 0}

    def guard(model):  # only epoch 2 passes (a later, better-scoring epoch must not be chosen)
        calls["n"] += 1
        return {"passed": calls["n"] == 2}

    def validate(model):
        with torch.no_grad():
            return -float(torch.nn.functional.mse_loss(model(x), y))

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    logs: list[str] = []
    summary = fit("lin", model, 256, lambda idx, aug, g: ((x[idx],), y[idx]),
                  lambda out, t: torch.nn.functional.mse_loss(out, t), validate, FitConfig(epochs=4, batch=16, lr=0.1),
                  tmp_path, log=logs.append, guard=guard)
    assert summary["selected_epoch"] == 2
    assert summary["history"][3]["val"] > summary["history"][1]["val"]  # epoch 4 scored better but failed the guard
    assert validate(model) == pytest.approx(summary["history"][1]["val"], rel=1e-5)  # holds epoch 2's weights
    assert any("guard FAIL" in s for s in logs) and any("guard pass" in s for s in logs)
    assert not any("no epoch passed" in s for s in logs)


class _Reader(torch.nn.Module):
    """A stand-in blendshape net whose eyeBlink outputs come from a fixed list, call by call."""

    def __init__(self, blinks):
        super().__init__()
        self.blinks = list(blinks)

    def forward(self, left, right, mouth):
        from bridge.schema import BLENDSHAPE_INDEX

        shapes = torch.zeros(left.shape[0], 52)
        b = torch.as_tensor(self.blinks.pop(0), dtype=torch.float32)
        shapes[:, BLENDSHAPE_INDEX["eyeBlinkLeft"]] = b
        shapes[:, BLENDSHAPE_INDEX["eyeBlinkRight"]] = b
        return shapes, torch.zeros(left.shape[0], 2, 2), torch.zeros(left.shape[0], 2)


def test_guard_frames_are_seeded_device_renders_and_the_guard_counts_misreads():
    pytest.importorskip("bridge.synth")
    from bridge.training.guard import eye_guard, guard_frames

    frames = guard_frames(24, identities=2)
    again = guard_frames(24, identities=2)
    assert frames.left.shape == (8, 24, 24) and frames.left.dtype == np.uint8  # 2 people x 2 exposures x open/closed
    np.testing.assert_array_equal(frames.left, again.left)  # seeded
    assert frames.closed.sum() == 4 and set(frames.exposure.tolist()) == {0.5, 2.0}
    # over-exposure brightens the crop: the guard really holds the tails
    assert frames.left[frames.exposure == 2.0].mean() > frames.left[frames.exposure == 0.5].mean() + 20
    truth = frames.closed.astype(np.float32)
    assert eye_guard(_Reader([truth, truth]), frames)["passed"]
    one_wrong = truth.copy()
    one_wrong[np.flatnonzero(frames.closed)[0]] = 0.5  # one closed eye of 8 reads half open: 7/8 < 95 %
    res = eye_guard(_Reader([one_wrong, truth]), frames)
    assert not res["passed"] and res["closed_read_closed"] == pytest.approx(7 / 8) and res["open_read_open"] == 1.0
    assert not eye_guard(_Reader([np.ones(8), np.ones(8)]), frames)["passed"]  # "always closed" fails the open eyes


def test_card_states_the_rule_marks_the_averaged_epochs_and_shows_the_mean():
    from bridge.training.card import selection_section

    rows = [{"epoch": 7, "val": 0.0770, "guard": {"closed_read_closed": 0.969, "open_read_open": 0.992,
                                                  "passed": True}, "in_band": False},
            {"epoch": 8, "val": 0.0807, "guard": {"closed_read_closed": 0.938, "open_read_open": 1.0,
                                                  "passed": False}, "in_band": True}]
    mean = {"epoch": "mean of 8-8", "val": 0.0807, "guard": {"closed_read_closed": 0.95, "open_read_open": 1.0,
                                                             "passed": True}, "assess": {"objective": 1.0996}}
    text = "\n".join(selection_section("the mean of the band", {"selection_candidates": rows, "band_mean": mean,
                                                                 "selection_reason": "mean of 8-8: one epoch"}))
    assert "Rule: the mean of the band." in text and "Shipped: mean of 8-8: one epoch." in text
    assert "| 7 | 0.0770 | 0.969 | 0.992 | pass |  |  |" in text
    assert "| 8 | 0.0807 | 0.938 | 1.000 | FAIL |  | yes |" in text
    assert "| mean of 8-8 |  | 0.950 | 1.000 | pass | 1.0996 |  |" in text
    # epochs trained under the band mean carry no guard or objective of their own: blank cells, not "nan"
    text = "\n".join(selection_section("r", {"selection_candidates": [{"epoch": 9, "val": 0.0811, "guard": {},
                                                                        "assess": {}, "in_band": True}]}))
    assert "| 9 | 0.0811 |  |  |  |  | yes |" in text and "nan" not in text


def test_card_shows_the_eyeblink_refit_before_and_after_or_why_it_was_skipped():
    from bridge.training.card import blink_section

    readout = {"refit": True, "fit_identities": 96,
               "before": {"render_blink_mae": 0.051, "tail_closed_read_closed": 0.91, "tail_open_read_open": 0.99,
                          "tail_blink_gap": 0.70},
               "after": {"render_blink_mae": 0.058, "tail_closed_read_closed": 0.98, "tail_open_read_open": 0.99,
                         "tail_blink_gap": 0.82}}
    text = "\n".join(blink_section(readout))
    assert "## eyeBlink readout" in text and "96 other rendered people" in text
    assert "| fit renders: closed eyes read closed (eyeBlink >= 0.8) | 0.910 | 0.980 |" in text
    assert "| render eyeBlink MAE (training sample) | 0.051 | 0.058 |" in text
    skipped = "\n".join(blink_section({"refit": False, "reason": "no cropped training split"}))
    assert "Left as averaged: no cropped training split." in skipped
    assert blink_section(None) == []


# ---------------------------------------------------------------- the band mean (bridge/training/selection.py)
def test_band_holds_the_epochs_within_the_tolerance_of_the_best_score():
    from bridge.training.selection import TOLERANCE, band

    assert abs(TOLERANCE - 0.003) < 1e-12
    history = [_h(1, 0.070), _h(2, 0.0788), _h(3, 0.0812), _h(4, 0.0830), _h(5, 0.0805)]
    assert band(history) == [3, 4, 5]  # 0.0788 is 0.0042 below the best: under-trained, left out
    assert band(history, tolerance=0.0) == [4]
    assert band(list(reversed(history)), tolerance=1.0) == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        band([])


def test_mean_weights_averages_float_tensors_and_keeps_the_last_integer_buffers():
    from bridge.training.selection import mean_weights

    nets = []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
        net.train()
        for _ in range(seed + 1):  # different batch-norm statistics and batch counts per "epoch"
            net(torch.randn(8, 3) * (seed + 1))
        nets.append(net.state_dict())
    mean = mean_weights(nets)
    for k in ("0.weight", "0.bias", "1.running_mean", "1.running_var"):
        assert torch.allclose(mean[k], (nets[0][k] + nets[1][k] + nets[2][k]) / 3, atol=1e-6)
        assert mean[k].dtype == nets[0][k].dtype
    assert mean["1.num_batches_tracked"].dtype == torch.long and int(mean["1.num_batches_tracked"]) == 3  # the last
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    net.load_state_dict(mean)  # a loadable state dict of the same network
    assert torch.equal(mean_weights(nets[:1])["0.weight"], nets[0]["0.weight"])
    with pytest.raises(ValueError):
        mean_weights([nets[0], {"other": torch.zeros(1)}])
    with pytest.raises(ValueError):
        mean_weights([])


def test_smoothed_rule_skips_a_lucky_early_peak():
    """A noisy eyemotion run: epoch 4 is the plain best, but its neighbours are poor; the late plateau wins."""
    from bridge.training.selection import pick_smoothed

    vals = [0.523, 0.594, 0.671, 0.716, 0.692, 0.641, 0.695, 0.687, 0.689, 0.691, 0.691, 0.687, 0.694, 0.694]
    history = [{"epoch": i + 1, "val": v} for i, v in enumerate(vals)]
    best, reason = pick_smoothed(history)
    assert best["epoch"] >= 10 and "plain best 0.7160 at epoch 4" in reason
    assert pick_smoothed(history, window=1)[0]["epoch"] == 4  # window 1: the plain best
    assert pick_smoothed([{"epoch": 1, "val": 0.5}])[0]["epoch"] == 1
    assert pick_smoothed([{"epoch": 1, "val": 0.5}, {"epoch": 2, "val": 0.5}])[0]["epoch"] == 2  # ties: later
    with pytest.raises(ValueError):
        pick_smoothed([])


def test_blendshape_stage_needs_only_the_band_epochs_files(tmp_path, monkeypatch):
    """A run kept before every epoch was kept (or with early epochs deleted) still rebuilds its band mean; a missing
    band epoch is a clear error that says how to recover."""
    from bridge.training import pipeline
    from bridge.training.loop import epoch_checkpoint

    history = [_h(1, 0.050), _h(2, 0.070), _h(3, 0.080), _h(4, 0.081)]  # band (0.003): epochs 3 and 4
    monkeypatch.setattr(pipeline.tasks, "blendshape_recipe", lambda *a: pipeline.tasks.Recipe(None, None, None, 1))
    monkeypatch.setattr(pipeline, "fit", lambda *a, **k: {"history": history, "best_score": 0.081})
    seen = {}

    def band_mean(paths, plan, val, log, train=None, eyes=None):
        seen["paths"] = paths
        mean = {"net": torch.nn.Linear(2, 1), "epoch": "mean of 3-4", "val": 0.081, "reason": "r", "epochs": [3, 4]}
        return mean, []

    monkeypatch.setattr(pipeline, "band_mean_checkpoint", band_mean)
    ckpt = tmp_path / "ckpt"
    (ckpt / "epochs").mkdir(parents=True)
    for e in (3, 4):
        epoch_checkpoint(ckpt, "blendshapes", e).write_bytes(b"kept")
    plan, cfg = pipeline.TrainPlan.quick(), FitConfig(epochs=4)
    summary = pipeline.fit_blendshapes(torch.nn.Linear(2, 1), None, None, None, None, plan, cfg, ckpt, print)
    assert seen["paths"] == [epoch_checkpoint(ckpt, "blendshapes", e) for e in (3, 4)]
    assert summary["selected_epoch"] == "mean of 3-4" and summary["band_mean"]["epochs"] == [3, 4]
    epoch_checkpoint(ckpt, "blendshapes", 4).unlink()
    with pytest.raises(ValueError, match=r"blendshapes_e4\.pt.*delete"):
        pipeline.fit_blendshapes(torch.nn.Linear(2, 1), None, None, None, None, plan, cfg, ckpt, print)
