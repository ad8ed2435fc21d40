"""Rendering benchmark: complete frame sets (both eyes + mouth + lower face) per second.

Reports wall-clock throughput (what you get on this machine right now, shared with other work) and the
CPU-time rate (frame sets per CPU-second of the rendering processes: what an idle machine would deliver
per core). Medians over repeats.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import sys
import time

import numpy as np

from bridge.schema import CAMERAS


def _render_loop(args: tuple[int, int, float, int]) -> tuple[int, float, float]:
    """Render batches for ``seconds``; returns (frame sets, wall seconds, CPU seconds). Runs in one process."""
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
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        start = int(rng.integers(0, len(perf) - batch))
        renderer.render_batch(ident, sess, perf.blendshapes[start : start + batch], perf.gaze[start : start + batch],
                              rng)
        frames += batch
    return frames, time.perf_counter() - t0, time.process_time() - c0


def measure(size: int = 64, batch: int = 128, seconds: float = 5.0, workers: int = 1,
            repeats: int = 3) -> tuple[float, float]:
    """Median (over ``repeats``) of (wall frame sets/s over all workers, frame sets per CPU-second)."""
    wall_rates, cpu_rates = [], []
    for r in range(repeats):
        jobs = [(size, batch, seconds / repeats, r * 100 + w) for w in range(workers)]
        if workers == 1:
            results = [_render_loop(jobs[0])]
        else:
            ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
            with ctx.Pool(workers) as pool:
                results = pool.map(_render_loop, jobs)
        wall_rates.append(sum(n / wall for n, wall, _ in results))
        cpu_rates.append(sum(n for n, _, _ in results) / max(sum(c for _, _, c in results), 1e-9))
    return float(statistics.median(wall_rates)), float(statistics.median(cpu_rates))


def run_bench(size: int = 64, batch: int = 128, seconds: float = 5.0, workers: int = 2) -> dict[str, float]:
    """Print and return frame sets/s for 1 process and ``workers`` processes."""
    out = {}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"rendering {size}x{size} x 4 views, batch {batch}; {os.cpu_count()} CPUs, load average {load:.1f}")
    for n in sorted({1, workers}):
        wall, cpu = measure(size, batch, seconds, n)
        out[f"{n} process wall"] = wall
        out[f"{n} process per cpu-second"] = cpu
        print(f"  {n} process(es): {wall:8.0f} frame sets/s wall   {cpu:8.0f} frame sets per CPU-second")
    return out
