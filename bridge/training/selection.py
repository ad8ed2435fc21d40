"""Blendshape epoch selection: which saved epoch `facebridge train` ships (training and `--blendshapes-from` alike).

The rule, in one sentence: among the epochs whose validation score is within ``TOLERANCE`` of the best epoch's, those
that pass the eye guard (bridge/training/guard.py; all of them when none does), the one whose output calibration
does best on validation identities it was not fitted on (``calibrate.crossfit_calibration_score``: the calibration
objective, REFA semantic accuracy + floors on neutralness, smoothness, eye/mouth closure and MAE, with the
calibration fitted on one half of the validation identities and scored on the other, both ways).

Why the validation band comes first and the guard second: guard-first let one early, under-trained epoch through
when the well-trained ones narrowly missed the guard's 95 % (a fresh full run: only epoch 3 of 14 passed, 0.010
below the best validation score, its calibrated test semantic accuracy 8.5 points below round 2). The guard
breaks ties between epochs that are equally good on validation; it does not outrank the validation score.

Why not simply the best validation score: the score is -MAE + real-eye terms, and the shipped file is not the raw
network but the network behind a validation-fitted output calibration, scored by the REFA metrics. Why cross-fitted:
fitting the calibration and scoring it on the same 16 identities favours the epoch whose calibration fits those
identities best, not the one that generalises (the in-sample objective of run bs5 ranks epoch 10 first). Why a
tolerance: the REFA objective does not see the real-eye terms of the validation score and sees the MAE only as a
floor; ``TOLERANCE`` is the MAE rise the calibration itself may spend (CalibrationFloors.mae_increase).

Only validation data: the synthetic validation identities, the real validation persons inside the validation score,
and the guard's seeded renders of people no split uses. Never the test split or real held-out data.
"""

from __future__ import annotations

import numpy as np

from bridge.training.calibrate import CalibrationFloors

TOLERANCE = CalibrationFloors().mae_increase  # 0.003 of validation score (= 0.003 MAE)

RULE = ("among the epochs within 0.003 of the best validation score, those that pass the eye guard (all of them "
        "when none does), the one whose output calibration, fitted on half of the validation identities and scored "
        "on the other half (both ways), reaches the highest calibration objective (REFA semantic accuracy + 0.25 x "
        "(neutralness + smoothness + eye closure + mouth closure), floors penalised)")


def passed(entry: dict) -> bool:
    return bool(entry.get("guard", {}).get("passed", True))


def objective(entry: dict) -> float:
    """The entry's cross-fitted calibration objective (-inf when it was not assessed)."""
    value = entry.get("assess", {}).get("objective")
    return float(value) if value is not None and np.isfinite(value) else -np.inf


def in_band(val: float, best_val: float, tolerance: float = TOLERANCE) -> bool:
    """Whether a validation score is close enough to the best one to compete."""
    return val >= best_val - tolerance - 1e-12


def pick_calibrated(history: list[dict], tolerance: float = TOLERANCE) -> tuple[dict, str]:
    """The selected history entry and why (one line). Entries: {"epoch", "val", "guard": {"passed"}, "assess":
    {"objective"}}. Candidates: the epochs within ``tolerance`` of the best validation score; among them the
    guard-passing ones, or all of them when none passes (the reason says so). The highest objective wins; when no
    candidate was assessed, the best validation score. Ties go to the higher validation score, then the earlier
    epoch."""
    if not history:
        raise ValueError("pick_calibrated: empty history")
    top = max(e["val"] for e in history)
    near = [e for e in history if in_band(e["val"], top, tolerance)]
    pool = [e for e in near if passed(e)]
    note, kind = "", "guard-passing epochs"
    if not pool:
        pool, kind = near, "epochs"
        note = "no epoch near the best validation score passes the guard; "
    if all(objective(e) == -np.inf for e in pool):
        best = max(pool, key=lambda e: (e["val"], -e["epoch"]))
        return best, f"{note}best validation score {best['val']:.4f} (no calibration assessment)"
    best = max(pool, key=lambda e: (objective(e), e["val"], -e["epoch"]))
    others = sorted((e for e in pool if e is not best), key=objective, reverse=True)
    runner = f"; next epoch {others[0]['epoch']} {objective(others[0]):.4f}" if others else ""
    return best, (f"{note}highest cross-fitted calibration objective {objective(best):.4f} among "
                  f"{len(pool)} {kind} within {tolerance:g} of the best validation score {top:.4f} "
                  f"(epochs {', '.join(str(e['epoch']) for e in pool)}){runner}")


SMOOTH_WINDOW = 5  # epochs: the selected epoch and two on each side


def pick_smoothed(history: list[dict], window: int = SMOOTH_WINDOW) -> tuple[dict, str]:
    """The epoch whose validation score, averaged with its neighbours' (``window`` epochs centred on it, fewer at
    the ends), is highest; ties go to the later epoch. For a noisy validation score: the eyemotion score swung
    0.64-0.72 between neighbouring epochs of one run, and the plain best took an early peak (epoch 4 of 14) whose
    valence CCC on the test identities was 0.20 below the shipped model's."""
    if not history:
        raise ValueError("pick_smoothed: empty history")
    vals = [float(e["val"]) for e in history]
    half = window // 2

    def smoothed(i: int) -> float:
        seg = vals[max(0, i - half):i + half + 1]
        return sum(seg) / len(seg)

    i = max(range(len(vals)), key=lambda k: (smoothed(k), k))
    return history[i], (f"best validation score averaged over {window} epochs around it: {smoothed(i):.4f} "
                        f"(its own {vals[i]:.4f}; plain best {max(vals):.4f} at epoch "
                        f"{history[vals.index(max(vals))]['epoch']})")
