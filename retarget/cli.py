"""`facebridge presets ...`: list, show, validate, create and benchmark retarget presets; list rig names."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TEMPLATE_HEADER = """\
# {name}: a FaceBridge retarget preset for the {rig} rig. Full reference: docs/presets.md.
# Check it with `facebridge presets validate {file}`; the bridge hot-reloads it while running.
#
# [preset]   name, rig (one of: {rigs}), author, version, description.
# [options]  eyes = "independent" | "link" (average both eyes) | "left_drives_both" | "right_drives_both";
#            mirror = true swaps the subject's left and right (for avatars shown as a mirror image).
# [targets]  one entry per rig target (`facebridge presets rigs {rig}` lists them):
#     target = "source"                                   # one source, weight 1
#     target = {{ sum = {{ a = 0.5, b = 0.5 }} }}           # weighted sum of sources
#     target = {{ max = {{ a = 1.0, b = 1.0 }} }}           # also min = {{...}}, product = {{...}}, added to the sum
#     target = {{ sum = {{...}}, terms = [{{ op = "min", of = {{ a = 1.0, b = 1.0 }}, weight = -1.0 }}] }}
#     target = {{ sum = {{...}}, curve = {{ gain = 1.2, offset = 0.0, gamma = 1.0, ease = "smoothstep",
#                                         dead_zone = 0.05, clamp = [0.0, 1.0] }} }}
#   Sources: the 52 ARKit shapes (jawOpen ...), FER+ emotion probabilities (neutral happiness surprise sadness
#   anger disgust fear contempt), gazeLeftYaw/gazeLeftPitch/gazeRightYaw/gazeRightPitch (-1..1 = +-30 degrees),
#   eyeOpenLeft/eyeOpenRight, valence, arousal.
# [emotions] mode = "continuous" (poses weighted by probability) | "discrete" (winner only; hysteresis,
#            min_probability, min_hold_s, crossfade_s), then one table per emotion:
#   [emotions.happiness]
#   blend = "max"                      # add | override | max
#   pose = {{ target = 1.0 }}            # target values while this emotion is shown
#   light = {{ rgb = [1.0, 0.8, 0.2], intensity = 0.9, transition_s = 0.5 }}
#   Custom emotions also need activation = {{ source = weight, ... }} (clipped to 0..1, acts as probability).
"""

BASE_PRESET_FOR_RIG = {
    "arkit52": "arkit52-perfect-sync",
    "livelink": "livelink",
    "facs53": "facs53",
    "vrm1": "vrm1-basic",
    "unified_expressions_v2": "vrchat-unified-v2",
    "meta63": "meta63",
}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the presets subcommands (imports nothing heavy)."""
    sub = parser.add_subparsers(dest="presets_command", metavar="ACTION")
    sub.add_parser("list", help="list the shipped presets")
    show = sub.add_parser("show", help="show what a preset drives")
    show.add_argument("preset", help="shipped preset name or path to a .toml file")
    validate = sub.add_parser("validate", help="check preset files; exit 1 and list every problem if any is invalid")
    validate.add_argument("files", nargs="+", metavar="FILE", help="preset files (or shipped names)")
    new = sub.add_parser("new", help="write a commented starting-point preset for a rig")
    new.add_argument("--rig", required=True, help="target rig (see `presets rigs`)")
    new.add_argument("--out", required=True, type=Path, help="file to create (never overwritten)")
    new.add_argument("--name", help="preset name (default: the file name)")
    rigs = sub.add_parser("rigs", help="list the rigs, or one rig's target names")
    rigs.add_argument("rig", nargs="?", help="rig to list the targets of")
    bench = sub.add_parser("bench", help="time Retargeter.apply per frame (median microseconds)")
    bench.add_argument("presets", nargs="*", help="presets to time (default: all shipped)")
    bench.add_argument("--frames", type=int, default=20000, help="frames per timed batch (default 20000)")
    parser.set_defaults(_presets_parser=parser)


def main(args: argparse.Namespace) -> int:
    """Run one presets action."""
    action = getattr(args, "presets_command", None)
    if action is None:
        args._presets_parser.print_help()
        return 0
    return {"list": _list, "show": _show, "validate": _validate, "new": _new, "rigs": _rigs, "bench": _bench}[
        action
    ](args)


def _list(args) -> int:
    from retarget import PresetError, load_preset, shipped_names

    print(f"{'NAME':26} {'RIG':24} {'TARGETS':>7}  {'EMOTIONS':10}  DESCRIPTION")
    status = 0
    for name in shipped_names():
        try:
            p = load_preset(name)
        except PresetError as exc:
            print(f"{name:26} INVALID: {exc}", file=sys.stderr)
            status = 1
            continue
        mode = p.emotions.mode if p.emotions.poses else "-"
        print(f"{name:26} {p.rig:24} {len(p.target_names()):7d}  {mode:10}  {p.meta.description}")
    return status


def _show(args) -> int:
    from retarget import PresetError, load_preset

    try:
        p = load_preset(args.preset)
    except PresetError as exc:
        print(exc, file=sys.stderr)
        return 1
    m = p.meta
    print(f"{m.name} (version {m.version}{', by ' + m.author if m.author else ''}) -> rig {p.rig}")
    if p.source:
        print(f"file: {p.source}")
    print(m.description)
    print(f"eyes: {p.eyes}   mirror: {'yes' if p.mirror else 'no'}")
    print(f"\ntargets ({len(p.targets)} mapped):")
    for t in p.targets:
        parts = [_weighted(t.sum)] if t.sum else []
        for term in t.terms:
            inner = ", ".join(f"{w:g}*{s}" for s, w in term.sources)
            parts.append(f"{term.weight:g}*{term.op}({inner})")
        curve = "" if t.curve.is_identity() else f"   curve {_curve_text(t.curve)}"
        print(f"  {t.target:24} = {' + '.join(parts).replace('+ -', '- ')}{curve}")
    e = p.emotions
    if e.poses:
        extra = (f" (hysteresis {e.hysteresis:g}, min probability {e.min_probability:g}, hold {e.min_hold_s:g} s, "
                 f"cross-fade {e.crossfade_s:g} s)" if e.mode == "discrete" else "")
        print(f"\nemotions: {e.mode}{extra}")
        for pose in e.poses:
            values = ", ".join(f"{k}={v:g}" for k, v in pose.pose) or "-"
            light = (f"light rgb({pose.light.r:g}, {pose.light.g:g}, {pose.light.b:g}) x{pose.light.intensity:g} "
                     f"in {pose.light.transition_s:g} s" if pose.light else "no light")
            print(f"  {pose.emotion:10} {pose.blend:8} {values}   {light}")
    return 0


def _weighted(pairs) -> str:
    return " + ".join(f"{w:g}*{s}" for s, w in pairs)


def _curve_text(c) -> str:
    from retarget.spec import Curve

    d = Curve()
    items = [f"{k}={getattr(c, k)!r}" for k in ("gain", "offset", "gamma", "ease", "dead_zone", "clamp")
             if getattr(c, k) != getattr(d, k)]
    return " ".join(items)


def _validate(args) -> int:
    from retarget import PresetError, load_preset

    bad = 0
    for f in args.files:
        try:
            p = load_preset(f)
        except PresetError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem)
            continue
        print(f"{f}: ok ({p.name}: rig {p.rig}, {len(p.target_names())} targets)")
    if bad:
        print(f"{bad} of {len(args.files)} preset file(s) invalid", file=sys.stderr)
    return 1 if bad else 0


def _new(args) -> int:
    from dataclasses import replace

    from bridge.validate import did_you_mean as suggest
    from retarget import RIGS, dump_preset, load_preset, parse_preset

    if args.rig not in RIGS:
        print(f"unknown rig {args.rig!r}{suggest(args.rig, RIGS)} (known: {', '.join(RIGS)})", file=sys.stderr)
        return 1
    out: Path = args.out
    if out.exists():
        print(f"{out}: already exists; not overwriting (choose another --out or delete it first)", file=sys.stderr)
        return 1
    name = args.name or out.stem
    base = load_preset(BASE_PRESET_FOR_RIG[args.rig])
    preset = replace(base, meta=replace(base.meta, name=name, author="", version="0.1",
                                        description=f"Starting point for the {args.rig} rig (from {base.name})."))
    header = TEMPLATE_HEADER.format(name=name, rig=args.rig, rigs=", ".join(RIGS), file=out)
    text = dump_preset(preset, header=header)
    parse_preset(text, out)  # the template must itself be valid; fail here rather than hand out a broken file
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("x", encoding="utf-8") as fh:  # "x": never clobber a file that appeared meanwhile
            fh.write(text)
    except OSError as exc:
        print(f"{out}: cannot write ({exc.strerror})", file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(preset.targets)} targets for rig {args.rig}, based on {base.name})")
    return 0


def _rigs(args) -> int:
    from bridge.validate import did_you_mean as suggest
    from retarget import RIGS

    if args.rig is None:
        for rig in RIGS.values():
            print(f"{rig.name:24} {len(rig.names):4d} targets  {rig.description}")
        return 0
    found = RIGS.get(args.rig)
    if found is None:
        print(f"unknown rig {args.rig!r}{suggest(args.rig, RIGS)} (known: {', '.join(RIGS)})", file=sys.stderr)
        return 1
    rig = found
    print(rig.description)
    for i, n in enumerate(rig.names):
        lo, hi = rig.range_of(n)
        extra = rig.descriptions.get(n, "")
        alias = f" (VRM0: {rig.vrm0_aliases[n]})" if rig.vrm0_aliases else ""
        print(f"{i:4d} {n:24} {lo:g}..{hi:g}{alias}  {extra}")
    return 0


def _bench(args) -> int:
    from retarget import PresetError, load_preset, shipped_names
    from retarget.bench import benchmark

    names = args.presets or list(shipped_names())
    print(f"{'PRESET':26} {'TARGETS':>7} {'BEST us':>8} {'MEDIAN us':>10} {'P90 us':>8}")
    for name in names:
        try:
            preset = load_preset(name)
        except PresetError as exc:
            print(exc, file=sys.stderr)
            return 1
        r = benchmark(preset, frames=args.frames)
        print(f"{r.preset:26} {r.targets:7d} {r.best_us:8.2f} {r.median_us:10.2f} {r.p90_us:8.2f}")
    return 0
