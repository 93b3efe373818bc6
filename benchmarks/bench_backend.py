"""Backend latency: the plugin's routes over a run of 50 layers x 1000 steps.

Budget (README, performance): `GET runs` and `GET overview` under 200 ms warm,
one request, on both TensorBoard data providers. The run is written with the
real TF-free API (`tests/logs.py`: sigmoid layers, 8 samples, `--units` units,
both the layer and the per-unit series). Each provider loads it completely
(every layer at its last step) before any timing:

* `python`: `MultiplexerDataProvider` over an `EventMultiplexer` (what
  `--load_fast=false` runs), in this process;
* `rust`: RustBoard, the `tensorboard-data-server` subprocess, through
  `SubprocessServerDataIngester` (what `--load_fast=true` runs).

Requests go through `TensorBoardWSGI([plugin])` with a werkzeug client, which is
the real request path minus the socket. For each route a fresh plugin (empty
cache) answers one cold request (median of `--cold_repeats` fresh plugins), then
`--repeats` warm ones (median shown).
`--http` also times a real `tensorboard` process per provider over HTTP (its
cold `runs` is not shown: waiting for the load already requested it). Bytes
are the uncompressed JSON body.

    .venv/bin/python benchmarks/bench_backend.py [--layers 50] [--steps 1000] [--units 256]
                                                  [--repeats 15] [--logdir DIR] [--http]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.request

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from tensorboard import context as tb_context  # noqa: E402
from tensorboard.backend import application  # noqa: E402
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer  # noqa: E402
from tensorboard.data import server_ingester  # noqa: E402
from tensorboard.plugins import base_plugin  # noqa: E402
from tensorboard.util import grpc_util  # noqa: E402
from werkzeug import test as werkzeug_test  # noqa: E402

from tensorboard_plugin_saturation import metadata, plugin as plugin_lib  # noqa: E402
from tests import logs  # noqa: E402
from tests.tensorboard_process import get_json, serve, wait_for  # noqa: E402

ROOT = "/data/plugin/saturation"
RUN = "big"
BUDGET_MS = {"runs": 200, "overview": 200}


def routes(layers):
    tag = layers[len(layers) // 3]
    return {
        "runs": ROOT + "/runs",
        "overview": ROOT + "/overview?run=" + RUN,
        "layer": ROOT + "/layer?run=%s&tag=%s" % (RUN, tag),
        "units": ROOT + "/units?run=%s&tag=%s" % (RUN, tag),
    }


def write_logs(logdir, layers, steps, units):
    if os.path.isdir(os.path.join(logdir, RUN)):
        return  # reuse a --logdir written before
    start = time.time()
    logs.write_run(logdir, RUN, layers=layers, steps=range(steps), samples=8, units=units)
    print("wrote %d layers x %d steps x %d units in %.0f s" % (len(layers), steps, units, time.time() - start))


def python_provider(logdir):
    """(provider, multiplexer): TensorBoard hands plugins both with --load_fast=false."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={metadata.PLUGIN_NAME: 0})
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    return data_provider.MultiplexerDataProvider(multiplexer, logdir), multiplexer


def rust_provider(logdir):
    """(provider, ingester): keep the ingester while the data server is in use."""
    ingester = server_ingester.SubprocessServerDataIngester(
        server_binary=server_ingester.get_server_binary(),
        logdir=logdir,
        reload_interval=0,
        channel_creds_type=grpc_util.ChannelCredsType.LOCAL,
        samples_per_plugin={metadata.PLUGIN_NAME: 0},
    )
    ingester.start()
    return ingester.data_provider, ingester


def wait_loaded(provider, layers, steps):
    """Until every layer and units series of the run reports its last step."""
    ctx = tb_context.RequestContext()

    def loaded():
        listing = provider.list_tensors(ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME).get(RUN, {})
        return len(listing) == 2 * len(layers) and all(s.max_step == steps - 1 for s in listing.values())

    wait_for(loaded, timeout=900, interval=0.5)


def time_routes(provider, multiplexer, logdir, urls, repeats, cold_repeats):
    """{route: (cold median ms, warm median ms, response bytes)}; a fresh plugin for each cold request."""
    result = {}
    for name, url in urls.items():
        colds = []
        for _ in range(cold_repeats):
            plugin = plugin_lib.SaturationPlugin(base_plugin.TBContext(
                logdir=logdir, data_provider=provider, multiplexer=multiplexer,
                sampling_hints={metadata.PLUGIN_NAME: 0}))
            client = werkzeug_test.Client(application.TensorBoardWSGI([plugin]))
            start = time.perf_counter()
            response = client.get(url)
            colds.append(time.perf_counter() - start)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        cold = statistics.median(colds)
        warm = []
        for _ in range(repeats):
            start = time.perf_counter()
            response = client.get(url)
            warm.append(time.perf_counter() - start)
        result[name] = (cold * 1e3, statistics.median(warm) * 1e3, len(response.get_data()))
    return result


def time_http(logdir, urls, layers, steps, load_fast, repeats):
    with serve(logdir, load_fast=load_fast, timeout=300) as base:
        wait_for(lambda: any(
            len(r["layers"]) == len(layers) and all(layer["maxStep"] == steps - 1 for layer in r["layers"])
            for r in get_json(base + ROOT + "/runs")["runs"]), timeout=900, interval=1.0)
        result = {}
        for name, url in urls.items():
            times = []
            for _ in range(repeats + 1):
                start = time.perf_counter()
                with urllib.request.urlopen(base + url, timeout=60) as response:
                    size = len(response.read())
                times.append(time.perf_counter() - start)
            cold = None if name == "runs" else times[0] * 1e3  # the wait above already asked for runs
            result[name] = (cold, statistics.median(times[1:]) * 1e3, size)
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=50)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--cold_repeats", type=int, default=5, help="fresh plugins per route (median shown)")
    parser.add_argument("--logdir", help="reuse (or write once) the logs here")
    parser.add_argument("--providers", default="python,rust")
    parser.add_argument("--http", action="store_true", help="also time real tensorboard processes")
    args = parser.parse_args()

    layers = tuple("dense_%d" % i for i in range(args.layers))
    urls = routes(layers)
    with tempfile.TemporaryDirectory() as tmp:
        logdir = args.logdir or os.path.join(tmp, "logs")
        write_logs(logdir, layers, args.steps, args.units)
        rows = []
        for name in args.providers.split(","):
            start = time.time()
            provider, keep = {"python": python_provider, "rust": rust_provider}[name](logdir)
            multiplexer = keep if name == "python" else None  # what TBContext.multiplexer holds
            wait_loaded(provider, layers, args.steps)
            print("%s provider loaded in %.1f s" % (name, time.time() - start))
            timed = time_routes(provider, multiplexer, logdir, urls, args.repeats, args.cold_repeats)
            rows += [(name, route, *t) for route, t in timed.items()]
            del provider, keep, multiplexer  # the data server exits when its stdin closes
        if args.http:
            for load_fast in ("false", "true"):
                rows += [("http load_fast=" + load_fast, route, *t)
                         for route, t in time_http(logdir, urls, layers, args.steps, load_fast, args.repeats).items()]

    print("\n%d layers x %d steps, %d units; cold = first request of a fresh plugin, median of %d; "
          "warm = median of %d" % (args.layers, args.steps, args.units, args.cold_repeats, args.repeats))
    print("%-20s %-9s %10s %10s %10s %8s" % ("provider", "route", "cold ms", "warm ms", "budget", "bytes"))
    failed = False
    for provider, route, cold, warm, size in rows:
        budget = BUDGET_MS.get(route)
        verdict = "" if budget is None else ("< %d ok" % budget if warm < budget else "> %d FAIL" % budget)
        failed |= budget is not None and warm >= budget
        print("%-20s %-9s %10s %10.1f %10s %8s" % (provider, route, "-" if cold is None else "%.1f" % cold,
                                                   warm, verdict, "-" if size is None else size))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
