"""A small resumable training loop: AdamW + one-cycle LR, per-epoch checkpoints, the selected epoch's weights.

The selection is ``better``/``pick_epoch`` (best validation score among guard-passing epochs) unless ``fit`` is given
a ``select`` rule over the whole history (e.g. bridge/training/selection.pick_smoothed for eyemotion); with
``FitConfig.keep_epochs`` (implied by ``select``) every epoch's weights are also kept as
``ckpt_dir/epochs/<name>_e<N>.pt`` (the blendshape stage averages the band of them: selection.py, and
``facebridge train --blendshapes-from`` rebuilds that mean later)."""

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
    keep_epochs: bool = False  # also write ckpt_dir/epochs/<name>_e<N>.pt after every epoch (epoch_checkpoint)


# make_batch(indices, augment, generator) -> (inputs tuple, targets); loss_fn(outputs, targets) -> scalar tensor;
# validate(model) -> score (higher is better), computed in eval mode without augmentation.
MakeBatch = Callable[[np.ndarray, bool, torch.Generator], tuple[tuple[torch.Tensor, ...], object]]
LossFn = Callable[[object, object], torch.Tensor]
Validate = Callable[[torch.nn.Module], float]
# guard(model) -> {"passed": bool, ...}: a sanity check an epoch must pass to be selected (bridge/training/guard.py)
Guard = Callable[[torch.nn.Module], dict]
# assess(model) -> more per-epoch figures a ``select`` rule reads, stored as the history entry's "assess"
Assess = Callable[[torch.nn.Module], dict]
# select(history) -> (selected entry, one-line reason): a rule over every epoch so far
Select = Callable[[list[dict]], tuple[dict, str]]


def better(entry: dict, incumbent: dict | None) -> bool:
    """The selection rule: the best validation score among epochs that pass the guard (epochs without a guard
    count as passing); while no epoch has passed, the best score so far is held as a fallback."""
    if incumbent is None:
        return True
    ok, best_ok = entry.get("guard", {}).get("passed", True), incumbent.get("guard", {}).get("passed", True)
    if ok != best_ok:
        return ok
    return entry["val"] > incumbent["val"]


def pick_epoch(history: list[dict]) -> dict:
    """The history entry ``better`` selects (the same rule ``fit`` applies epoch by epoch)."""
    best = None
    for entry in history:
        if better(entry, best):
            best = entry
    if best is None:
        raise ValueError("pick_epoch: empty history")
    return best


def fit(name: str, model: torch.nn.Module, n_train: int, make_batch: MakeBatch, loss_fn: LossFn, validate: Validate,
        cfg: FitConfig, ckpt_dir: Path, log: Callable[[str], None] = print, guard: Guard | None = None,
        assess: Assess | None = None, select: Select | None = None, assess_within: float = float("inf")) -> dict:
    """Train ``model`` in place; resumes from ``ckpt_dir/<name>.pt``; ends holding the selected epoch's weights
    (``select(history)`` when given, else ``better``: best validation score, among the epochs passing ``guard``).

    ``guard``/``assess`` results are stored in each epoch's history entry ("guard"; "assess" only for epochs whose
    validation score is within ``assess_within`` of the best so far: an epoch outside that band never becomes a
    candidate later, since the best only rises). With
    ``cfg.keep_epochs`` or a ``select`` rule every epoch's weights + history are kept in ``epoch_checkpoint(...)``.
    Returns a summary {epochs, best_score, history, selected_epoch, selection_reason, seconds}. A finished
    checkpoint is reused without training.
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
            if "best_entry" not in state and state["history"]:  # a checkpoint from before the guard rule
                state["best_entry"] = pick_epoch(state["history"])
            log(f"[{name}] resumed at epoch {state['epoch']}/{cfg.epochs} (best {state['best']:.4f})")
        else:
            log(f"[{name}] checkpoint {ckpt_path} is for another plan; starting over")
    if state["done"]:
        model.load_state_dict(state["best_state"])
        log(f"[{name}] already trained (best {state['best']:.4f}); reusing checkpoint")
        return _summary(state)
    keep = cfg.keep_epochs or select is not None
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
        entry = {"epoch": epoch + 1, "loss": total / steps_per_epoch, "val": score, "seconds": dt}
        with torch.no_grad():
            if guard is not None:
                entry["guard"] = guard(model)
            top = max([score] + [h["val"] for h in state["history"]])
            if assess is not None and score >= top - assess_within - 1e-12:  # others can never be selected
                entry["assess"] = assess(model)
        state["history"].append(entry)
        if keep:
            save_epoch(ckpt_dir, name, model, state["history"], cfg, n_train)
        if select is not None:
            chosen, reason = select(state["history"])
        else:
            chosen = entry if better(entry, state.get("best_entry")) else state["best_entry"]
            reason = "best validation score" + ("" if guard is None else " among guard-passing epochs")
        if chosen["epoch"] == entry["epoch"]:
            state["best_state"] = copy.deepcopy(model.state_dict())
        elif chosen["epoch"] != state.get("best_entry", {}).get("epoch"):  # the rule went back to an earlier epoch
            kept = epoch_checkpoint(ckpt_dir, name, chosen["epoch"])
            if kept.exists():
                state["best_state"] = torch.load(kept, map_location="cpu", weights_only=False)["model"]
            else:  # resumed from a run that kept no epochs: the incumbent's weights are all there is
                log(f"[{name}] WARNING: the rule selects epoch {chosen['epoch']} but {kept} is missing; keeping "
                    f"epoch {state['best_entry']['epoch']}")
                chosen, reason = state["best_entry"], f"{reason} (epoch {chosen['epoch']} not kept)"
        state["best"], state["best_entry"], state["reason"] = float(chosen["val"]), chosen, reason
        state["epoch"] = epoch + 1
        state["done"] = state["epoch"] == cfg.epochs
        note = "" if guard is None else f" guard {'pass' if entry['guard']['passed'] else 'FAIL'} {entry['guard']}"
        if "assess" in entry:
            note += f" assess {_brief(entry['assess'])}"
        log(f"[{name}] epoch {epoch + 1}/{cfg.epochs} loss {total / steps_per_epoch:.4f} val {score:.4f}{note} "
            f"{dt:.0f}s -> selected epoch {chosen['epoch']} (val {state['best']:.4f}): {reason}")
        _save(ckpt_path, model, opt, sched, state, cfg, n_train)
    if guard is not None and not state["best_entry"].get("guard", {}).get("passed", True):
        log(f"[{name}] WARNING: no epoch passed the guard; keeping epoch {state['best_entry']['epoch']}")
    model.load_state_dict(state["best_state"])
    return _summary(state)


def epoch_checkpoint(ckpt_dir: Path, name: str, epoch: int) -> Path:
    """Where ``fit`` keeps epoch ``epoch`` (1-based) of ``name`` when asked to keep epochs."""
    return ckpt_dir / "epochs" / f"{name}_e{epoch}.pt"


def save_epoch(ckpt_dir: Path, name: str, model: torch.nn.Module, history: list[dict], cfg: FitConfig,
               n_train: int) -> Path:
    """Write one epoch's weights and history (its entry last: val score, guard, assessment) atomically. The layout
    ({"model", "state": {"history"}}) is the one ``facebridge train --blendshapes-from`` reads."""
    path = epoch_checkpoint(ckpt_dir, name, int(history[-1]["epoch"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"model": copy.deepcopy(model.state_dict()), "entry": history[-1],
                "state": {"history": list(history)}, "epochs_planned": cfg.epochs, "n_train": n_train, "name": name},
               tmp)
    tmp.replace(path)
    return path


def _brief(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in d.items()
                           if not isinstance(v, dict | list)) + "}"


def _save(path: Path, model, opt, sched, state: dict, cfg: FitConfig, n_train: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "state": state,
                "epochs_planned": cfg.epochs, "n_train": n_train}, tmp)
    tmp.replace(path)  # atomic: a kill mid-save never leaves a broken checkpoint


def _summary(state: dict) -> dict:
    return {"epochs": state["epoch"], "best_score": float(state["best"]), "history": state["history"],
            "selected_epoch": state.get("best_entry", {}).get("epoch"), "selection_reason": state.get("reason", ""),
            "seconds": round(state["seconds"], 1)}
