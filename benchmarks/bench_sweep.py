"""Sweep scale: a logdir of 300 runs x 8 layers x 100 steps on RustBoard.

Budget (README, performance): `GET runs` < 300 ms warm and < 1.5 s cold,
`GET diagnosis` of one run < 300 ms warm. The runs are written with the real
TF-free API (`tests/logs.py`: `saturation_pb` + `EventFileWriter`, sigmoid
layers, 8 samples x 16 units, layer and per-unit series): `--templates`
distinct runs (seed and growth differ), each copied byte for byte into
runs / templates run directories, which is what a sweep's data server sees (writing
300 distinct runs takes 6 minutes and measures the same).

RustBoard (`tensorboard-data-server`, what `--load_fast=true` runs) loads the
logdir completely before any timing. A fresh plugin (empty caches) then answers
through `TensorBoardWSGI` with a werkzeug client, the request path minus the
socket: cold = its first request, warm = median of `--repeats`. `--http` also
times a real `tensorboard --load_fast=true` over HTTP (warm only: waiting for
its load already asked for `runs`).

    .venv/bin/python benchmarks/bench_sweep.py [--runs 300] [--layers 8] [--steps 100]
                                                [--templates 10] [--repeats 15] [--logdir DIR] [--http]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_backend  # noqa: E402  (sets up sys.path for the package and tests)

from tensorboard import context as tb_context  # noqa: E402
from tensorboard.backend import application  # noqa: E402
from tensorboard.plugins import base_plugin  # noqa: E402
from werkzeug import test as werkzeug_test  # noqa: E402

from tensorboard_plugin_saturation import metadata, plugin as plugin_lib  # noqa: E402
from tests import logs  # noqa: E402
from tests.tensorboard_process import get_json, serve, wait_for  # noqa: E402

ROOT = "/data/plugin/saturation"
BUDGET_MS = {("runs", "cold"): 1500, ("runs", "warm"): 300, ("diagnosis", "warm"): 300}


def run_names(count):
    return ["lr_%03d" % i for i in range(count)]


def write_logs(logdir, runs, layers, steps, templates):
    if os.path.isdir(logdir) and len(os.listdir(logdir)) >= len(runs):
        return  # reuse a --logdir written before
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        for i in range(templates):
            growth = 0.2 + 2.0 * i / max(templates - 1, 1)  # from healthy to saturating
            path = logs.write_run(tmp, "t%d" % i, layers=layers, steps=range(steps), samples=8, units=16,
                                  growth=growth, seed=i)
            sources += [os.path.join(path, name) for name in os.listdir(path)]
        for i, run in enumerate(runs):
            os.makedirs(os.path.join(logdir, run))
            shutil.copy(sources[i % len(sources)], os.path.join(logdir, run))
    print("wrote %d runs (%d distinct) x %d layers x %d steps in %.0f s"
          % (len(runs), templates, len(layers), steps, time.time() - start))


def wait_loaded(provider, runs, layers, steps):
    ctx = tb_context.RequestContext()

    def loaded():
        listing = provider.list_tensors(ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME)
        return len(listing) == len(runs) and all(
            len(tags) == 2 * len(layers) and all(s.max_step == steps - 1 for s in tags.values())
            for tags in listing.values())

    wait_for(loaded, timeout=1800, interval=1.0)


def time_in_process(provider, logdir, urls, repeats):
    """{route: (cold ms, warm median ms, bytes)}; one fresh plugin for all routes, so `diagnosis`
    and `overview` are cold for their run but the listing's metadata is already parsed."""
    plugin = plugin_lib.SaturationPlugin(base_plugin.TBContext(
        logdir=logdir, data_provider=provider, sampling_hints={metadata.PLUGIN_NAME: 0}))
    client = werkzeug_test.Client(application.TensorBoardWSGI([plugin]))
    result = {}
    for name, url in urls.items():
        times, size = [], 0
        for _ in range(repeats + 1):
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            size = len(response.get_data())
        result[name] = (times[0] * 1e3, statistics.median(times[1:]) * 1e3, size)
    start = time.perf_counter()
    for run in get_runs(client):
        assert client.get(ROOT + "/diagnosis?run=" + run).status_code == 200
    result["diagnosis, every run"] = ((time.perf_counter() - start) * 1e3, None, None)
    return result


def get_runs(client):
    return [r["run"] for r in client.get(ROOT + "/runs").get_json()["runs"]]


def time_http(logdir, urls, runs, layers, steps, repeats):
    with serve(logdir, load_fast="true", timeout=300) as base:
        def loaded():
            body = get_json(base + ROOT + "/runs")["runs"]
            return len(body) == len(runs) and all(
                len(r["layers"]) == len(layers) and all(l["maxStep"] == steps - 1 for l in r["layers"]) for r in body)
        wait_for(loaded, timeout=1800, interval=2.0)
        result = {}
        for name, url in urls.items():
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                with urllib.request.urlopen(base + url, timeout=120) as response:
                    size = len(response.read())
                times.append(time.perf_counter() - start)
            result[name] = (None, statistics.median(times) * 1e3, size)
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--templates", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--logdir", help="reuse (or write once) the logs here")
    parser.add_argument("--http", action="store_true", help="also time a real tensorboard --load_fast=true")
    args = parser.parse_args()

    runs = run_names(args.runs)
    layers = tuple("dense_%d" % i for i in range(args.layers))
    urls = {
        "runs": ROOT + "/runs",
        "diagnosis": ROOT + "/diagnosis?run=" + runs[len(runs) // 2],
        "overview": ROOT + "/overview?run=" + runs[len(runs) // 2],
    }
    with tempfile.TemporaryDirectory() as tmp:
        logdir = args.logdir or os.path.join(tmp, "logs")
        write_logs(logdir, runs, layers, args.steps, args.templates)
        start = time.time()
        provider, ingester = bench_backend.rust_provider(logdir)
        wait_loaded(provider, runs, layers, args.steps)
        print("RustBoard loaded in %.1f s" % (time.time() - start))
        rows = [("rust", route, *t) for route, t in time_in_process(provider, logdir, urls, args.repeats).items()]
        del provider, ingester  # the data server exits when its stdin closes
        if args.http:
            rows += [("http load_fast=true", route, *t)
                     for route, t in time_http(logdir, urls, runs, layers, args.steps, args.repeats).items()]

    print("\n%d runs x %d layers x %d steps; cold = first request of a fresh plugin, warm = median of %d"
          % (args.runs, args.layers, args.steps, args.repeats))
    print("%-20s %-22s %10s %10s %14s %9s" % ("provider", "route", "cold ms", "warm ms", "budget", "bytes"))
    failed = False
    for provider, route, cold, warm, size in rows:
        verdicts = []
        for kind, value in (("cold", cold), ("warm", warm)):
            budget = BUDGET_MS.get((route, kind))
            if budget is not None and value is not None:
                verdicts.append("%s<%d %s" % (kind, budget, "ok" if value < budget else "FAIL"))
                failed |= value >= budget
        print("%-20s %-22s %10s %10s %14s %9s" % (
            provider, route, "-" if cold is None else "%.1f" % cold, "-" if warm is None else "%.1f" % warm,
            " ".join(verdicts), "-" if size is None else size))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
