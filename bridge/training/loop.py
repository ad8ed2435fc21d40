"""A small resumable training loop: AdamW + one-cycle LR, per-epoch checkpoints, best-on-validation weights."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch


@dataclass(frozen=True, slots=True)
class FitConfig:
    epochs: int
    batch: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 0


# make_batch(indices, augment, generator) -> (inputs tuple, targets); loss_fn(outputs, targets) -> scalar tensor;
# validate(model) -> score (higher is better), computed in eval mode without augmentation.
MakeBatch = Callable[[np.ndarray, bool, torch.Generator], tuple[tuple[torch.Tensor, ...], object]]
LossFn = Callable[[object, object], torch.Tensor]
Validate = Callable[[torch.nn.Module], float]


def fit(name: str, model: torch.nn.Module, n_train: int, make_batch: MakeBatch, loss_fn: LossFn, validate: Validate,
        cfg: FitConfig, ckpt_dir: Path, log: Callable[[str], None] = print) -> dict:
    """Train ``model`` in place; resumes from ``ckpt_dir/<name>.pt``; ends holding the best validation weights.

    Returns a summary {epochs, best_score, history, seconds}. A finished checkpoint is reused without training.
    """
    ckpt_path = ckpt_dir / f"{name}.pt"
    steps_per_epoch = max(1, n_train // cfg.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch,
                                                pct_start=0.15)
    state = {"epoch": 0, "best": -np.inf, "best_state": None, "history": [], "seconds": 0.0, "done": False}
    if ckpt_path.exists():
        saved = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        if saved.get("epochs_planned") == cfg.epochs and saved.get("n_train") == n_train:
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["opt"])
            sched.load_state_dict(saved["sched"])
            state = saved["state"]
            log(f"[{name}] resumed at epoch {state['epoch']}/{cfg.epochs} (best {state['best']:.4f})")
        else:
            log(f"[{name}] checkpoint {ckpt_path} is for another plan; starting over")
    if state["done"]:
        model.load_state_dict(state["best_state"])
        log(f"[{name}] already trained (best {state['best']:.4f}); reusing checkpoint")
        return _summary(state)
    rng = np.random.default_rng(cfg.seed + 1000 * state["epoch"])
    g = torch.Generator().manual_seed(cfg.seed + state["epoch"])
    for epoch in range(state["epoch"], cfg.epochs):
        t0 = time.time()
        model.train()
        perm = rng.permutation(n_train)
        total = 0.0
        for step in range(steps_per_epoch):
            idx = perm[step * cfg.batch:(step + 1) * cfg.batch]
            inputs, targets = make_batch(idx, True, g)
            loss = loss_fn(model(*inputs), targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
            if (step + 1) % max(1, steps_per_epoch // 4) == 0 and step + 1 < steps_per_epoch:
                log(f"[{name}] epoch {epoch + 1}/{cfg.epochs} step {step + 1}/{steps_per_epoch} "
                    f"loss {total / (step + 1):.4f} ({time.time() - t0:.0f}s)")
        model.eval()
        with torch.no_grad():
            score = float(validate(model))
        dt = time.time() - t0
        state["seconds"] += dt
        state["history"].append({"epoch": epoch + 1, "loss": total / steps_per_epoch, "val": score, "seconds": dt})
        if score > state["best"]:
            state["best"], state["best_state"] = score, copy.deepcopy(model.state_dict())
        state["epoch"] = epoch + 1
        state["done"] = state["epoch"] == cfg.epochs
        log(f"[{name}] epoch {epoch + 1}/{cfg.epochs} loss {total / steps_per_epoch:.4f} val {score:.4f} "
            f"(best {state['best']:.4f}) {dt:.0f}s")
        _save(ckpt_path, model, opt, sched, state, cfg, n_train)
    model.load_state_dict(state["best_state"])
    return _summary(state)


def _save(path: Path, model, opt, sched, state: dict, cfg: FitConfig, n_train: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "state": state,
                "epochs_planned": cfg.epochs, "n_train": n_train}, tmp)
    tmp.replace(path)  # atomic: a kill mid-save never leaves a broken checkpoint


def _summary(state: dict) -> dict:
    return {"epochs": state["epoch"], "best_score": float(state["best"]), "history": state["history"],
            "seconds": round(state["seconds"], 1)}
