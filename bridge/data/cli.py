"""`facebridge data import KIND SOURCE_DIR --out DIR`: an approved real set -> normalized shards + manifest."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

SPLIT_NOTES = {
    "mrl": "by person (MRL subject from the file name); the set's own random train/val split is ignored",
    "mrl-pupil": "by person, same assignment as the mrl import",
    "itmo": "by person (subject number in the file name)",
    "mmu": "by person (subject folder)",
    "ferplus": "the set's own split: FER2013Train -> train, FER2013Valid -> val (model selection only); "
               "FER2013Test is held out and never imported; no identities",
    "smile": "by group (first token of the file name; the set has no person ids)",
    "smile-eyes": "by group, same assignment as the smile import (the same photos)",
    "yawn": "by group (the video / webcam session / capture tool a frame comes from, else the leading number of the "
            "file name, which roboflow copies and flips share; bridge.data.importers.yawn_group); yawning and "
            "non-yawning frames of one group are on the same side; the set's test split -> test (held out)",
    "nir": "evaluation only: every frame -> val (never trained on; too small to train); persons = subjects",
}


def configure(parser: argparse.ArgumentParser) -> None:
    from bridge.data.sources import SOURCES

    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    imp = sub.add_parser("import", help="import one approved real set (see docs/data.md)",
                         description="Convert an approved real set into shards + manifest. KIND is one of: "
                                     + ", ".join(f"{k} ({s.name})" for k, s in SOURCES.items()))
    imp.add_argument("kind", metavar="KIND", help="which set: " + ", ".join(SOURCES))
    imp.add_argument("source", metavar="SOURCE_DIR", help="the set as extracted from its repository")
    imp.add_argument("--out", required=True, help="output folder (manifest.json + shard-<split>.npz)")
    imp.add_argument("--size", type=int, default=48, help="crop size in pixels (default 48, the model input)")
    imp.add_argument("--val-fraction", type=float, default=0.15, help="share of persons held out for validation")
    imp.add_argument("--images", default=None, help="mrl-pupil: the MRL folder the pupil centres refer to")
    imp.add_argument("--masks", default=None,
                     help="mmu: the iris mask folder (Masks-for-MMU-Iris-dataset Dataset/mask)")
    imp.add_argument("--boxes", default=None,
                     help="nir: CSV file,x,y,w,h of face boxes for the whole frames (default: the face detector)")
    sub.add_parser("sources", help="list the approved sets, their commits and licences")


def main(args: argparse.Namespace) -> int:
    from bridge.data.sources import SOURCES

    if args.data_command == "sources":
        for k, s in SOURCES.items():
            print(f"{k:10s} {s.name}\n           github:{s.repo} @ {s.commit}\n           {s.path}; licence: "
                  f"{s.licence}; {s.use}")
        return 0
    if args.data_command != "import":
        print("data: give an action: import KIND SOURCE_DIR --out DIR, or sources", file=sys.stderr)
        return 2
    from bridge.data.importers import IMPORTERS, SPLIT_KEY, LayoutError, Skips
    from bridge.data.shards import write_set

    if args.kind not in IMPORTERS:
        print(f"data import: unknown KIND {args.kind!r}; approved sets: {', '.join(IMPORTERS)} "
              "(other sets are kept for independent evaluation and must not be trained on)", file=sys.stderr)
        return 2
    src = Path(args.source)
    if not src.exists():
        print(f"data import: {src} does not exist; extract the set first (docs/data.md)", file=sys.stderr)
        return 2
    if not 8 <= args.size <= 256:
        print(f"data import: --size {args.size} is outside 8..256", file=sys.stderr)
        return 2
    t0 = time.time()
    skips = Skips()
    extra = {"images": Path(args.images) if args.images else None, "masks": Path(args.masks) if args.masks else None,
             "boxes": Path(args.boxes) if args.boxes else None}
    try:
        records = IMPORTERS[args.kind](src, args.size, skips, **extra)
        manifest = write_set(Path(args.out), SOURCES[args.kind], records, args.size, src, skips.total,
                             dict(skips.reasons), args.val_fraction, SPLIT_NOTES.get(args.kind, ""),
                             SPLIT_KEY.get(args.kind),
                             {"turned_upright": skips.turned} if skips.turned else None)
    except (LayoutError, ValueError, OSError) as exc:
        why = "; skipped " + "; ".join(f"{n} {r}" for r, n in skips.reasons.items()) if skips.total else ""
        print(f"data import {args.kind}: {exc}{why}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{s} {c['images']} images / {c['persons']} persons" for s, c in manifest["counts"].items())
    print(f"data import {args.kind}: {counts}; skipped {skips.total}"
          + (" (" + "; ".join(f"{n} {r}" for r, n in skips.reasons.items()) + ")" if skips.total else "")
          + (f"; {skips.turned} upside-down images turned upright" if skips.turned else "")
          + f"; wrote {args.out} in {time.time() - t0:.0f} s")
    return 0
