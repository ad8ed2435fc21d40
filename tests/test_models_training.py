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


def test_fit_keeps_every_epoch_and_resumes_with_them(tmp_path):
    from bridge.training.loop import epoch_checkpoint

    cfg = FitConfig(epochs=4, batch=16, lr=0.1, keep_epochs=True)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    make_batch, loss_fn, validate = _pieces(stop_at_call=32 * 2 + 3)  # dies inside epoch 3
    with pytest.raises(_Stop):
        fit("lin", model, 512, make_batch, loss_fn, validate, cfg, tmp_path, log=lambda s: None)
    assert [p.name for p in sorted((tmp_path / "epochs").iterdir())] == ["lin_e1.pt", "lin_e2.pt"]  # no .tmp left
    make_batch, loss_fn, validate = _pieces()
    model2 = torch.nn.Linear(4, 1)
    summary = fit("lin", model2, 512, make_batch, loss_fn, validate, cfg, tmp_path, log=lambda s: None)
    assert summary["epochs"] == 4 and sorted(p.name for p in (tmp_path / "epochs").iterdir()) == [
        f"lin_e{k}.pt" for k in range(1, 5)]
    for k in range(1, 5):
        saved = torch.load(epoch_checkpoint(tmp_path, "lin", k), weights_only=False)
        assert saved["entry"] == summary["history"][k - 1] and saved["state"]["history"][-1]["epoch"] == k
        probe = torch.nn.Linear(4, 1)
        probe.load_state_dict(saved["model"])
        assert -validate(probe) == pytest.approx(-saved["entry"]["val"], rel=1e-5)  # that epoch's own weights


def test_fit_with_a_select_rule_can_go_back_to_a_kept_epoch(tmp_path):
    """A rule over the whole history (here: epoch 1 until epoch 3 exists, then epoch 2, which was never the
    incumbent) ends on that epoch's weights, read back from its kept checkpoint; the log says which and why."""
    cfg = FitConfig(epochs=4, batch=16, lr=0.1)
    make_batch, loss_fn, validate = _pieces()
    seen = []

    def assess(model):
        seen.append(1)
        return {"objective": float(len(seen))}

    def select(history):
        chosen = history[1] if len(history) > 2 else history[0]
        return chosen, f"test rule, {len(history)} epochs"

    logs: list[str] = []
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    summary = fit("lin", model, 512, make_batch, loss_fn, validate, cfg, tmp_path, log=logs.append, assess=assess,
                  select=select)
    assert summary["selected_epoch"] == 2 and summary["selection_reason"] == "test rule, 4 epochs"
    assert (tmp_path / "epochs" / "lin_e4.pt").exists()  # a select rule keeps the epochs it may go back to
    assert [h["assess"]["objective"] for h in summary["history"]] == [1.0, 2.0, 3.0, 4.0]
    assert -validate(model) == pytest.approx(-summary["history"][1]["val"], rel=1e-5)
    assert any("-> selected epoch 1 (val" in s and "test rule, 2 epochs" in s for s in logs)
    assert any("-> selected epoch 2 (val" in s and "test rule, 3 epochs" in s for s in logs)
