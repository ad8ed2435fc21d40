"""`facebridge train --blendshapes-from` applies the training selection rule to kept epochs (tiny rendered split)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("bridge.synth.dataset")

MODELS = Path(__file__).resolve().parent.parent / "bridge" / "models"


def test_blendshapes_from_kept_epochs_picks_by_the_rule_and_rewrites_the_card(tmp_path, monkeypatch):
    from bridge.cli import main as cli_main
    from bridge.evaluation.data import save_split
    from bridge.evaluation.dataset import read_split
    from bridge.synth.dataset import write_dataset
    from bridge.training import nets, pipeline
    from bridge.training.loop import FitConfig, save_epoch

    out = tmp_path / "run"
    write_dataset(tmp_path / "data", identities=4, seconds=3, seed=11, workers=1, progress=False, fps=10.0)
    split = read_split(tmp_path / "data", "all", 48)
    (out / "cache").mkdir(parents=True)
    for name in ("val", "test"):  # one tiny split stands in for both (this checks the path, not the figures)
        save_split(split, out / "cache" / f"{name}_48.npz")
    models = tmp_path / "models"
    shutil.copytree(MODELS, models)
    history = []
    # kept as training keeps them (loop.save_epoch); all three within 0.003 of the best validation score
    for epoch, val in ((1, 0.0690), (2, 0.0695), (3, 0.0700)):
        torch.manual_seed(epoch)
        history.append({"epoch": epoch, "loss": 0.1, "val": val})
        save_epoch(out / "ckpt", "blendshapes", nets.BlendshapeNet(48, 8), history, FitConfig(epochs=3), 10)
    # the guard is tested on its own (test_models_selection.py); untrained nets fail it, so here epoch 3 fails
    # and epochs 1-2 pass: all three are in the validation band (and assessed), the rule must choose between 1 and
    # 2 by the cross-fitted objective
    monkeypatch.setattr(pipeline, "blendshape_guard", lambda size: _fake_guard())
    kept = sorted((out / "ckpt" / "epochs").glob("blendshapes_e*.pt"))
    assert [p.name for p in kept] == [f"blendshapes_e{k}.pt" for k in (1, 2, 3)]
    rc = cli_main(["train", "--out", str(out), "--models-dir", str(models), "--blendshapes-from", *map(str, kept)])
    assert rc == 0
    log = (out / "train.log").read_text()
    assert "epoch  3  val 0.0700" in log and "FAIL" in log and log.count("cross-fitted objective") == 3
    meta = json.loads((models / "models.json").read_text())
    bs = meta["training"]["models"]["blendshapes"]
    objectives = {r["epoch"]: r["assess"]["objective"] for r in bs["selection_candidates"] if "assess" in r}
    assert set(objectives) == {1, 2, 3}
    expected = max((1, 2), key=lambda e: (objectives[e], e))  # ties: the higher validation score (epoch 2)
    assert bs["selected_epoch"] == expected and f"selected epoch {expected} (" in log
    assert "cross-fitted calibration objective" in bs["selection_reason"]
    card = (models / "README.md").read_text()
    assert "cross-fitted objective" in card and f"Selected epoch {expected}:" in card
    assert "half of the validation identities" in meta["settings"]["selection"]


def _fake_guard():
    calls = {"n": 0}

    def guard(model):
        calls["n"] += 1
        ok = calls["n"] < 3
        return {"closed_read_closed": 1.0 if ok else 0.5, "open_read_open": 1.0, "closed_min": 0.9, "passed": ok}

    return guard
