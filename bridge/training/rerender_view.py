"""Re-render ONE camera view of an existing synthetic dataset in place (e.g. after a framing change of that view).

Every shard's identity and session are derived from (seed, identity, session) exactly as ``bridge.synth.dataset``
does, and the stored per-frame shapes and gaze are reused, so labels, identities and the other views stay as they
are; only the chosen view's pixels (and their sensor noise draw) change. Cheaper than re-rendering all four views.
Resumable: a shard is rewritten atomically and listed in ``<dir>/rerendered_<view>.json`` when done.

Usage: python -m bridge.training.rerender_view DATA_DIR lower_face [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

RENDER_BATCH = 128


def rerender_shard(task: tuple[str, str, int, int, int, tuple[int, int]]) -> str:
    """Re-render ``view`` of one shard file; returns the file name."""
    import cv2

    from bridge.synth.identity import sample_identity, sample_session
    from bridge.synth.renderer import HeadsetRenderer

    cv2.setNumThreads(1)
    path, view, seed, ident_id, sess_id, size = task
    ident = sample_identity(np.random.default_rng([seed, ident_id]))
    rng = np.random.default_rng([seed, ident_id, sess_id + 1])
    sess = sample_session(rng, ident)  # the same draw as the original render (first use of this stream)
    noise_rng = np.random.default_rng([seed, ident_id, sess_id + 1, 7919])
    with np.load(path) as shard:
        arrays = {k: shard[k] for k in shard.files}
    renderer = HeadsetRenderer({view: tuple(size)})
    shapes, gaze = arrays["blendshapes"], arrays["gaze"]
    out = np.empty((len(shapes),) + tuple(size), np.uint8)
    for start in range(0, len(shapes), RENDER_BATCH):
        stop = min(len(shapes), start + RENDER_BATCH)
        out[start:stop] = renderer.render_batch(ident, sess, shapes[start:stop], gaze[start:stop], noise_rng)[view]
    arrays[view] = out
    tmp = Path(path).with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return Path(path).name


def rerender_view(data_dir: Path, view: str, workers: int = 2, log=print) -> int:
    """Re-render ``view`` in every shard of ``data_dir`` not yet done; returns how many shards were rewritten."""
    manifest = json.loads((data_dir / "manifest.json").read_text())
    if view not in manifest["sizes"]:
        raise ValueError(f"{data_dir}/manifest.json has no view {view!r}; views: {sorted(manifest['sizes'])}")
    done_file = data_dir / f"rerendered_{view}.json"
    done = set(json.loads(done_file.read_text())) if done_file.exists() else set()
    size = tuple(manifest["sizes"][view])
    tasks = [(str(data_dir / s["file"]), view, int(manifest["seed"]), int(s["identity"]), int(s["session"]), size)
             for s in manifest["shards"] if s["file"] not in done]
    def record(names) -> None:
        for name in names:
            done.add(name)
            done_file.write_text(json.dumps(sorted(done)))
            if len(done) % 20 == 0:
                log(f"re-rendered {view}: {len(done)}/{len(manifest['shards'])} shards")

    if workers <= 1:  # in-process (no fork: safe inside threaded hosts such as a test runner)
        record(map(rerender_shard, tasks))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            record(pool.map(rerender_shard, tasks))
    return len(tasks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("view")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n = rerender_view(args.data_dir, args.view, args.workers)
    print(f"re-rendered {args.view} in {n} shards of {args.data_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
