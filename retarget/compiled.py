"""Preset -> arrays: one weight matrix for the sums, padded gathers for min/max/product terms, per-target curve
arrays, and per-emotion pose matrices. Evaluating a frame is then a handful of vectorized numpy calls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.schema import FER8
from retarget.inputs import INPUT_INDEX, NUM_INPUTS, eye_matrix, mirror_matrix
from retarget.spec import EASES, TERM_OPS, LightCue, Preset

# Extra slots appended to the input vector so padded term gathers read the op's identity element.
PAD_SLOT = {"max": NUM_INPUTS, "min": NUM_INPUTS + 1, "product": NUM_INPUTS + 2}
PAD_VALUES = np.array([-np.inf, np.inf, 1.0], dtype=np.float32)
EXTENDED_INPUTS = NUM_INPUTS + len(PAD_VALUES)


@dataclass(frozen=True)
class TermBlock:
    """Every min/max/product term in one padded gather: ``g = x_ext[index] * weight``; rows ``start:stop`` of an
    op are reduced with it; then ``scatter @ reduced`` adds each term (times its weight) to its target."""

    index: np.ndarray  # (K, m) int64 into the extended input vector
    weight: np.ndarray  # (K, m) float32 (1.0 on padding)
    slices: tuple[tuple[str, int, int], ...]  # (op, first row, end row), rows grouped by op
    scatter: np.ndarray  # (T, K) float32: term k's weight into target t


@dataclass(frozen=True)
class CompiledPreset:
    """Everything Retargeter.apply needs, as read-only arrays. Built once per preset (or per slider edit)."""

    preset: Preset
    names: tuple[str, ...]
    input_map: np.ndarray | None  # (N, N) eye link / mirror map, None when identity
    weights: np.ndarray  # (T, N)
    terms: TermBlock | None
    # curves
    nonlinear: bool  # any dead zone, gamma or ease: needs the |v|/sign path
    dead_zone: np.ndarray
    dead_zone_scale: np.ndarray  # 1 / (1 - dead_zone)
    gamma: np.ndarray | None  # None when every gamma is 1
    ease_groups: tuple[tuple[str, np.ndarray], ...]  # (ease, target indices) for non-linear eases
    gain: np.ndarray
    offset: np.ndarray
    curve_lo: np.ndarray
    curve_hi: np.ndarray
    # emotions
    emotions: tuple[str, ...]  # FER8 then custom
    activation: np.ndarray | None  # (C, N) for custom emotions
    add_pose: np.ndarray | None  # (T, E)
    override_pose: np.ndarray | None  # (T, E)
    override_mask: np.ndarray | None  # (T, E) 1 where the emotion's pose sets the target
    max_pose: np.ndarray | None  # (T, E)
    max_bias: np.ndarray | None  # (T, E) 0 where set, -inf elsewhere
    lights: tuple[LightCue | None, ...]  # per emotion
    # output range
    lo: np.ndarray
    hi: np.ndarray


def _ro(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def compile_preset(preset: Preset) -> CompiledPreset:
    """Build the evaluation arrays of a (validated) preset."""
    rig = preset.rig_profile
    names = preset.target_names()
    row = {n: i for i, n in enumerate(names)}
    t_count = len(names)
    rig_idx = np.array([rig.index(n) for n in names], dtype=np.int64)
    lo = rig.lo[rig_idx].astype(np.float32) if t_count else np.zeros(0, np.float32)
    hi = rig.hi[rig_idx].astype(np.float32) if t_count else np.zeros(0, np.float32)

    full_map = eye_matrix(preset.eyes)
    if preset.mirror:
        full_map = mirror_matrix() @ full_map  # eye option acts on the subject's eyes, then the mirror
    input_map = None if np.array_equal(full_map, np.eye(NUM_INPUTS, dtype=np.float32)) else _ro(full_map)

    weights = np.zeros((t_count, NUM_INPUTS), dtype=np.float32)
    terms_by_op: dict[str, list[tuple[int, float, tuple[tuple[str, float], ...]]]] = {op: [] for op in TERM_OPS}
    curves = {}
    for m in preset.targets:
        t = row[m.target]
        for channel, w in m.sum:
            weights[t, INPUT_INDEX[channel]] += w
        for term in m.terms:
            terms_by_op[term.op].append((t, term.weight, term.sources))
        curves[t] = m.curve

    all_terms = [(op, t, tw, src) for op in TERM_OPS for t, tw, src in terms_by_op[op]]
    block = None
    if all_terms:
        width = max(len(src) for *_, src in all_terms)
        index = np.empty((len(all_terms), width), dtype=np.int64)
        wts = np.ones((len(all_terms), width), dtype=np.float32)
        scatter = np.zeros((t_count, len(all_terms)), dtype=np.float32)
        for k, (op, t, tw, src) in enumerate(all_terms):
            index[k, :] = PAD_SLOT[op]
            for j, (name, w) in enumerate(src):
                index[k, j] = INPUT_INDEX[name]
                wts[k, j] = w
            scatter[t, k] = tw
        slices, start = [], 0
        for op in TERM_OPS:
            n = len(terms_by_op[op])
            if n:
                slices.append((op, start, start + n))
                start += n
        block = TermBlock(_ro(index), _ro(wts), tuple(slices), _ro(scatter))

    def per_target(attr, default):
        return np.array([getattr(curves[t], attr) if t in curves else default for t in range(t_count)], np.float32)

    dead_zone = per_target("dead_zone", 0.0)
    gamma = per_target("gamma", 1.0)
    ease_groups = []
    for ease in EASES[1:]:
        idx = np.array([t for t in range(t_count) if t in curves and curves[t].ease == ease], dtype=np.int64)
        if idx.size:
            ease_groups.append((ease, _ro(idx)))
    curve_lo, curve_hi = lo.copy(), hi.copy()
    for t, c in curves.items():
        if c.clamp is not None:
            curve_lo[t], curve_hi[t] = c.clamp

    emotions, activation, poses = _compile_emotions(preset, row, t_count)
    nonlinear = bool(np.any(dead_zone > 0) or np.any(gamma != 1.0) or ease_groups)
    return CompiledPreset(
        preset=preset, names=names, input_map=input_map, weights=_ro(weights), terms=block,
        nonlinear=nonlinear, dead_zone=_ro(dead_zone), dead_zone_scale=_ro(1.0 / (1.0 - dead_zone)),
        gamma=None if np.all(gamma == 1.0) else _ro(gamma), ease_groups=tuple(ease_groups),
        gain=_ro(per_target("gain", 1.0)), offset=_ro(per_target("offset", 0.0)),
        curve_lo=_ro(curve_lo), curve_hi=_ro(curve_hi), emotions=emotions, activation=activation,
        lo=_ro(lo), hi=_ro(hi), **poses,
    )  # fmt: skip


def _compile_emotions(preset: Preset, row: dict[str, int], t_count: int):
    settings = preset.emotions
    custom = [p for p in settings.poses if p.emotion not in FER8]
    emotions = FER8 + tuple(p.emotion for p in custom)
    col = {e: i for i, e in enumerate(emotions)}
    activation = None
    if custom:
        activation = np.zeros((len(custom), NUM_INPUTS), dtype=np.float32)
        for c, p in enumerate(custom):
            for src, w in p.activation:
                activation[c, INPUT_INDEX[src]] = w
        activation = _ro(activation)
    e_count = len(emotions)
    mats = {b: np.zeros((t_count, e_count), dtype=np.float32) for b in ("add", "override", "max")}
    masks = {b: np.zeros((t_count, e_count), dtype=np.float32) for b in ("override", "max")}
    lights: list[LightCue | None] = [None] * e_count
    for p in settings.poses:
        e = col[p.emotion]
        lights[e] = p.light
        for target, value in p.pose:
            mats[p.blend][row[target], e] = value
            if p.blend in masks:
                masks[p.blend][row[target], e] = 1.0
    used = {b: any(p.blend == b and p.pose for p in settings.poses) for b in mats}
    max_bias = np.where(masks["max"] > 0, 0.0, -np.inf).astype(np.float32)
    poses = {
        "add_pose": _ro(mats["add"]) if used["add"] else None,
        "override_pose": _ro(mats["override"]) if used["override"] else None,
        "override_mask": _ro(masks["override"]) if used["override"] else None,
        "max_pose": _ro(mats["max"]) if used["max"] else None,
        "max_bias": _ro(max_bias) if used["max"] else None,
        "lights": tuple(lights),
    }
    return emotions, activation, poses
