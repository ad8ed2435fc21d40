"""The OSC attacker, as its own process at a lower CPU priority than the bridge (``--nice``, added to the
harness's): on a real network the attacker is another machine, so here it must not win the measurement by
taking the bridge's CPU on a shared box.

    python tests/stress/attack.py PORT[,PORT...] --n 100000 --rate 4000 [--seed 11]

Prints ``ready {family: count}`` once the datagrams are generated, sends them round-robin to the ports, paced to
``rate`` per second, and prints ``sent <n> <seconds>`` when done.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stress import hostile  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("ports")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=4000.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--nice", type=int, default=5)
    args = parser.parse_args()
    with contextlib.suppress(OSError):
        os.nice(args.nice)
    ports = [int(p) for p in args.ports.split(",")]
    attacks = list(hostile.osc_attacks(args.n, seed=args.seed))
    datagrams = [data for _family, data in attacks]
    print("ready " + json.dumps(Counter(family for family, _data in attacks)), flush=True)
    start = time.monotonic()
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i, data in enumerate(datagrams):
            with contextlib.suppress(OSError):
                s.sendto(data, (args.host, ports[i % len(ports)]))
            sent += 1
            if i % 50 == 0:
                ahead = i / args.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
    print(f"sent {sent} {time.monotonic() - start:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
