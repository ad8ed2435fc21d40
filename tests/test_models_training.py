"""The resumable training loop (per-epoch checkpoints) and the fusion calibration (needs torch)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.training.calibrate import fit_fusion  # noqa: E402
from bridge.training.loop import FitConfig, fit  # noqa: E402


class _Stop(Exception):
    pass


def _problem(n=512, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], np.float32))[:, None]
    return torch.from_numpy(x), torch.from_numpy(y)


def _pieces(stop_at_call: int | None = None):
    x, y = _problem()
    calls = {"n": 0}

    def make_batch(idx, augment, g):
        calls["n"] += 1
        if stop_at_call is not None and calls["n"] == stop_at_call:
            raise _Stop  # simulates a kill in the middle of an epoch
        return (x[idx],), y[idx]

    def loss_fn(out, t):
        return torch.nn.functional.mse_loss(out, t)

    def validate(model):
        with torch.no_grad():
            return -float(torch.nn.functional.mse_loss(model(x), y))

    return make_batch, loss_fn, validate


def test_fit_learns_and_resumes_after_an_interruption(tmp_path):
    cfg = FitConfig(epochs=4, batch=16, lr=0.1)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    make_batch, loss_fn, validate = _pieces(stop_at_call=32 * 2 + 3)  # 32 steps/epoch: dies inside epoch 3
    with pytest.raises(_Stop):
        fit("lin", model, 512, make_batch, loss_fn, validate, cfg, tmp_path, log=lambda s: None)
    saved = torch.load(tmp_path / "lin.pt", weights_only=False)
    assert saved["state"]["epoch"] == 2 and not saved["state"]["done"]

    logs: list[str] = []
    model2 = torch.nn.Linear(4, 1)
    make_batch, loss_fn, validate = _pieces()
    summary = fit("lin", model2, 512, make_batch, loss_fn, validate, cfg, tmp_path, log=logs.append)
    assert any("resumed at epoch 2/4" in s for s in logs)
    assert summary["epochs"] == 4 and len(summary["history"]) == 4
    assert summary["best_score"] > -0.05  # learnt the linear map (initial MSE is ~5)
    assert -validate(model2) == pytest.approx(-summary["best_score"], rel=1e-5)  # ends on the best weights

    logs.clear()
    model3 = torch.nn.Linear(4, 1)
    fit("lin", model3, 512, make_batch, loss_fn, validate, cfg, tmp_path, log=logs.append)
    assert any("already trained" in s for s in logs)
    assert torch.equal(model3.weight, model2.weight)


def test_fusion_calibration_trusts_the_informative_source():
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 8, n)
    good = np.full((n, 8), 0.02)
    good[np.arange(n), y] = 0.86  # right 100 % of the time
    noise = rng.dirichlet(np.ones(8), n)  # unrelated to the label
    w = fit_fusion({"mouth": good.astype(np.float32), "eyes": noise.astype(np.float32)}, y, steps=300)
    assert w.weights["mouth"] > 3 * w.weights["eyes"]
    assert w.bias.shape == (8,)
