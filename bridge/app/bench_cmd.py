"""`facebridge bench`: the full pipeline (all models, all three network outputs to loopback) on synthetic frames,
first as fast as possible, then paced at 60 Hz.

Reported (JSON keys): end_to_end_ms.p50/p99 (frame set ready -> last datagram sent, 60 Hz pass),
stages_ms.<stage>.p50/p99 (60 Hz pass), throughput_fps (fast pass), cpu_percent_at_60hz (process CPU time / wall
time over the 60 Hz pass, 100 = one core), plus the fast pass's latencies under "fast". The loopback receivers run
in a child process so their CPU is not counted; the synthetic frames are rendered before timing starts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bridge.argtypes import positive_number

# Child process: bind N UDP ports on 127.0.0.1, print them, drain datagrams until stdin closes.
_DRAIN = r"""
import select, socket, sys, threading
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks), flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
while not done.is_set():
    ready, _, _ = select.select(socks, [], [], 0.1)
    for s in ready:
        try:
            while True:
                s.recv(65536)
        except BlockingIOError:
            pass
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=positive_number, default=10.0, metavar="S",
                        help="total timed seconds, split between the fast and the 60 Hz pass (default 10)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    parser.add_argument("--pool", type=int, default=48, metavar="N",
                        help="synthetic frame sets rendered before timing (default 48)")
    parser.add_argument("--models", metavar="DIR", help="model set directory (default: the shipped models)")
    parser.add_argument("--preset", metavar="NAME|FILE", help="retarget preset (default: the default preset)")


def _stage_key(name: str) -> str:
    # "output[vmc:127.0.0.1:5555]" -> "output_vmc": ports differ per run, keys must not.
    if name.startswith("output["):
        return "output_" + name[len("output["):].split(":", 1)[0]
    return name


def _pass(bridge, seconds: float) -> dict:
    pipeline = bridge.pipeline
    pipeline.times.reset()
    pipeline.end_to_end.reset()
    frames0 = pipeline.frames
    wall0, cpu0 = time.perf_counter(), time.process_time()
    pipeline.run(duration_s=seconds)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    p50, p99 = pipeline.end_to_end.percentiles_ms()
    stages = {_stage_key(k): v for k, v in pipeline.times.summary_ms().items()}
    frames = pipeline.frames - frames0
    return {"frames": frames, "seconds": round(wall, 3), "fps": round(frames / wall, 1),
            "cpu_percent": round(100.0 * cpu / wall, 1),
            "end_to_end_ms": {"p50": round(p50, 4), "p99": round(p99, 4)},
            "stages_ms": {k: {q: round(v, 4) for q, v in d.items()} for k, d in stages.items()}}


def main(args: argparse.Namespace) -> int:
    import logging

    from bridge.argtypes import output_file_problem

    problem = args.json and output_file_problem(args.json, "--json")
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    from bridge.app.assemble import StartupError, assemble, load_models
    from bridge.app.bench_source import PoolSource, render_pool
    from bridge.config import Config, ModelsSection
    from bridge.outputs.registry import output_options

    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if args.seconds <= 0 or args.pool < 2:
        print("error: --seconds must be > 0 and --pool >= 2", file=sys.stderr)
        return 2
    config = Config(models=ModelsSection(dir=args.models or ""))
    try:
        models = load_models(config)
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"rendering {args.pool} synthetic frame sets ...", file=sys.stderr)
    pool, render_s = render_pool(args.pool)
    drain = subprocess.Popen([sys.executable, "-c", _DRAIN, "3"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    assert drain.stdout is not None and drain.stdin is not None  # both are PIPEs
    try:
        ports = [int(p) for p in drain.stdout.readline().split()]
        outputs = [output_options("facebridge", port=ports[0]), output_options("vmc", port=ports[1]),
                   # No OSCQuery: the bench measures sending every parameter, not mDNS traffic.
                   output_options("vrchat", port=ports[2], listen_port=0, oscquery=False)]
        results = {}
        for label, fps, share in (("fast", None, 0.5), ("60hz", 60.0, 0.5)):
            source = PoolSource(pool, fps=fps)
            try:
                bridge = assemble(config, outputs=outputs, models=models, source_obj=source, control=False,
                                  preset=args.preset)
            except StartupError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            try:
                _pass(bridge, min(1.0, args.seconds * share / 4))  # warm-up: caches, ramps, names tables
                print(f"timing the {label} pass ...", file=sys.stderr)
                results[label] = _pass(bridge, args.seconds * share)
            finally:
                bridge.close()
    finally:
        drain.stdin.close()
        drain.wait(timeout=5)
    live, fast = results["60hz"], results["fast"]
    report = {
        "end_to_end_ms": live["end_to_end_ms"],
        "stages_ms": live["stages_ms"],
        "throughput_fps": fast["fps"],
        "cpu_percent_at_60hz": live["cpu_percent"],
        "fast": fast,
        "at_60hz": {k: live[k] for k in ("frames", "seconds", "fps")},
        "render_ms_per_frame_set": round(render_s * 1000, 2),
        "models": list(getattr(models, "available", ())),
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    text = json.dumps(report, indent=1)
    if args.json:  # the JSON goes to the file only; the terminal gets the summary line below
        try:
            with open(args.json, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            print(f"error: cannot write --json {args.json!r}: {exc.strerror or exc}", file=sys.stderr)
            print(text)
            return 2
    else:
        print(text)
    e2e = report["end_to_end_ms"]
    print(f"end-to-end p50 {e2e['p50']:.3f} ms, p99 {e2e['p99']:.3f} ms (target <= 5) | throughput "
          f"{report['throughput_fps']:.0f} fps (target >= 200) | CPU at 60 Hz {report['cpu_percent_at_60hz']:.1f}% "
          f"of one core (target <= 50)", file=sys.stderr)
    return 0
