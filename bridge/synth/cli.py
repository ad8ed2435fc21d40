"""`facebridge synth`: contact sheet, datasets and a rendering benchmark of the synthetic headset."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the sheet / dataset / bench actions (imports nothing heavy)."""
    sub = parser.add_subparsers(dest="synth_command", metavar="ACTION")
    sheet = sub.add_parser("sheet", help="render a contact sheet (identities x expressions, every view) to a PNG")
    sheet.add_argument("--out", required=True, help="output PNG path")
    sheet.add_argument("--seed", type=int, default=0)
    sheet.add_argument("--identities", type=int, default=6)
    sheet.add_argument("--size", type=int, default=128, help="pixels per tile (default 128)")

    ds = sub.add_parser("dataset", help="render frame sets + labels into .npz shards with a manifest")
    ds.add_argument("--out", required=True, help="output directory (must be empty, or an unfinished run of this job)")
    ds.add_argument("--identities", type=int, required=True, help="number of synthetic people")
    ds.add_argument("--seconds", type=float, required=True, help="seconds of performance per identity")
    ds.add_argument("--seed", type=int, default=0)
    ds.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    ds.add_argument("--fps", type=float, default=30.0, help="frames per second of the performances (default 30)")
    ds.add_argument("--size", type=int, default=64, help="square resolution of every view (default 64)")
    ds.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    ds.add_argument("--quiet", action="store_true", help="no progress output")

    bench = sub.add_parser("bench", help="measure rendering throughput (complete frame sets per second)")
    bench.add_argument("--size", type=int, default=64, help="square resolution of every view (default 64)")
    bench.add_argument("--batch", type=int, default=128)
    bench.add_argument("--seconds", type=float, default=5.0, help="measuring time per configuration")
    bench.add_argument("--workers", type=int, default=2, help="also measure with this many processes")
    parser.set_defaults(_synth_parser=parser)


def _positive(name: str, value, minimum=1) -> None:
    if value < minimum:
        raise ValueError(f"--{name} must be >= {minimum}, got {value}")


def main(args: argparse.Namespace) -> int:
    """Run one synth action; bad arguments print a message naming the flag and return 2."""
    if args.synth_command is None:
        args._synth_parser.print_help()
        return 2
    try:
        if args.synth_command == "sheet":
            return _sheet(args)
        if args.synth_command == "dataset":
            return _dataset(args)
        if args.synth_command == "bench":
            from bridge.synth.bench import run_bench

            _positive("size", args.size, 16)
            _positive("batch", args.batch)
            _positive("workers", args.workers)
            run_bench(size=args.size, batch=args.batch, seconds=args.seconds, workers=args.workers)
            return 0
    except ValueError as exc:
        print(f"facebridge synth {args.synth_command}: {exc}", file=sys.stderr)
        return 2
    return 2


def _sheet(args) -> int:
    from pathlib import Path

    import cv2

    from bridge.synth.sheet import contact_sheet

    _positive("identities", args.identities)
    _positive("size", args.size, 32)
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise ValueError(f"--out must be a .png path, got {out}")
    from bridge.argtypes import output_file_problem

    problem = output_file_problem(out, "--out")
    if problem:
        raise ValueError(problem)
    img = contact_sheet(identities=args.identities, seed=args.seed, size=args.size)
    if not cv2.imwrite(str(out), img):
        raise ValueError(f"could not write {out}")
    print(f"wrote {out} ({img.shape[1]}x{img.shape[0]})")
    return 0


def _dataset(args) -> int:
    from bridge.schema import CAMERAS
    from bridge.synth.dataset import write_dataset

    _positive("identities", args.identities)
    _positive("workers", args.workers)
    _positive("size", args.size, 16)
    if args.seconds <= 0:
        raise ValueError(f"--seconds must be > 0, got {args.seconds}")
    manifest = write_dataset(
        args.out, identities=args.identities, seconds=args.seconds, seed=args.seed, workers=args.workers,
        overwrite=args.overwrite, sizes={v: (args.size, args.size) for v in CAMERAS}, progress=not args.quiet,
        fps=args.fps,
    )
    frames = sum(s["frames"] for s in manifest.shards)
    print(f"{args.out}: {len(manifest.shards)} shards, {frames} frame sets, {manifest.identities_count} identities")
    return 0
