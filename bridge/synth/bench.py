"""Rendering benchmark: complete frame sets (both eyes + mouth + lower face) per second."""

from __future__ import annotations

import multiprocessing as mp
import statistics
import sys
import time

import numpy as np

from bridge.schema import CAMERAS


def _render_loop(args: tuple[int, int, float, int]) -> tuple[int, float]:
    """Render batches for ``seconds``; returns (frame sets, elapsed). Runs in one process."""
    size, batch, seconds, seed = args
    import cv2

    cv2.setNumThreads(1)
    from bridge.synth import HeadsetRenderer, sample_identity, sample_session
    from bridge.synth.performance import free_performance

    rng = np.random.default_rng(seed)
    renderer = HeadsetRenderer({v: (size, size) for v in CAMERAS})
    ident = sample_identity(rng)
    sess = sample_session(rng, ident)
    perf = free_performance(rng, seconds=max(10.0, batch / 30.0 + 1), fps=30.0)
    renderer.render_batch(ident, sess, perf.blendshapes[:batch], perf.gaze[:batch], rng)  # warm the asset cache
    frames = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        start = int(rng.integers(0, len(perf) - batch))
        renderer.render_batch(ident, sess, perf.blendshapes[start : start + batch], perf.gaze[start : start + batch],
                              rng)
        frames += batch
    return frames, time.perf_counter() - t0


def measure(size: int = 64, batch: int = 128, seconds: float = 5.0, workers: int = 1, repeats: int = 3) -> float:
    """Median (over ``repeats``) frame sets per second with ``workers`` processes."""
    rates = []
    for r in range(repeats):
        if workers == 1:
            n, dt = _render_loop((size, batch, seconds / repeats, r))
            rates.append(n / dt)
        else:
            ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
            with ctx.Pool(workers) as pool:
                jobs = [(size, batch, seconds / repeats, r * 100 + w) for w in range(workers)]
                results = pool.map(_render_loop, jobs)
            rates.append(sum(n / dt for n, dt in results))
    return float(statistics.median(rates))


def run_bench(size: int = 64, batch: int = 128, seconds: float = 5.0, workers: int = 2) -> dict[str, float]:
    """Print and return frame sets/s for 1 process and ``workers`` processes."""
    out = {}
    one = measure(size, batch, seconds, 1)
    out["1 process"] = one
    print(f"render {size}x{size} x4 views, batch {batch}: 1 process  {one:8.0f} frame sets/s")
    if workers > 1:
        many = measure(size, batch, seconds, workers)
        out[f"{workers} processes"] = many
        print(f"render {size}x{size} x4 views, batch {batch}: {workers} processes {many:8.0f} frame sets/s")
    return out
