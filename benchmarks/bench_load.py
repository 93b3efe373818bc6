"""Load: 16 concurrent clients for 30 s against the data routes of a 50-layer run.

Starts the real `tensorboard` (RustBoard back-end by default) on a loopback port
over generated logs, then each client loops over runs / overview / layer /
units / diagnosis requests. Prints the request count, errors (any non-200 or exception),
and p50 / p99 latency per route and overall.

    .venv/bin/python benchmarks/bench_load.py [--clients 16] [--seconds 30] [--load_fast true]
"""

import argparse
import collections
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from tests import logs  # noqa: E402
from tests.tensorboard_process import get_json, serve, wait_for  # noqa: E402

ROOT = "/data/plugin/saturation"
LAYERS = tuple("dense_%d" % i for i in range(50))


def _routes():
    yield "runs", ROOT + "/runs"
    yield "overview", ROOT + "/overview?run=big&maxSteps=800"
    tag = urllib.parse.quote(LAYERS[7])
    yield "layer", ROOT + "/layer?run=big&tag=%s&maxSteps=800" % tag
    yield "units", ROOT + "/units?run=big&tag=%s&maxSteps=800" % tag
    yield "diagnosis", ROOT + "/diagnosis?run=big"


def _client(url, deadline, results, lock):
    routes = list(_routes())
    i = 0
    while time.time() < deadline:
        name, path = routes[i % len(routes)]
        i += 1
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url + path, timeout=30) as response:
                response.read()
                ok = response.status == 200
        except (urllib.error.URLError, OSError):
            ok = False
        elapsed = time.perf_counter() - start
        with lock:
            results[name].append((ok, elapsed))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--load_fast", default="true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        logdir = os.path.join(tmp, "logs")
        logs.write_run(logdir, "big", layers=LAYERS, steps=range(args.steps), samples=8, units=64)
        with serve(logdir, load_fast=args.load_fast) as url:
            wait_for(lambda: any(
                len(r["layers"]) == len(LAYERS) and all(layer["maxStep"] == args.steps - 1 for layer in r["layers"])
                for r in get_json(url + ROOT + "/runs")["runs"]), timeout=300)
            results = collections.defaultdict(list)
            lock = threading.Lock()
            deadline = time.time() + args.seconds
            threads = [threading.Thread(target=_client, args=(url, deadline, results, lock))
                       for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

    print("%d clients, %.0f s, 50 layers x %d steps, --load_fast=%s"
          % (args.clients, args.seconds, args.steps, args.load_fast))
    print("%-9s %8s %7s %9s %9s" % ("route", "requests", "errors", "p50 ms", "p99 ms"))
    everything = []
    for name, _ in _routes():
        rows = results[name]
        everything += rows
        _print_row(name, rows)
    _print_row("all", everything)
    errors = sum(not ok for ok, _ in everything)
    return 1 if errors else 0


def _print_row(name, rows):
    latencies = np.array([t for _, t in rows]) * 1000
    errors = sum(not ok for ok, _ in rows)
    print("%-9s %8d %7d %9.1f %9.1f" % (name, len(rows), errors,
                                        np.percentile(latencies, 50), np.percentile(latencies, 99)))


if __name__ == "__main__":
    sys.exit(main())
