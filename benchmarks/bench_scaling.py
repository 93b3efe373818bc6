"""How cost grows: the op with units and batch size, the backend with layers and steps.

1. Op: the statistics (`_tf_statistics.compute`, fused XLA pass, in
   `tf.function`) of sigmoid activations [batch, units], varying units at a
   fixed batch and batch at fixed units, beside `tf.reduce_sum` of the same
   tensor. Linear growth shows as a flat "ns / value" column.
2. Backend: warm `runs` and `overview` (median of `--repeats`) and the cold
   `overview` (a fresh plugin: every series decoded) on the Python data
   provider, for runs of 10/25/50 layers x 1000 steps and 50 layers x
   250/500/1000 steps, each in its own logdir. Linear growth shows as a flat
   "us / layer-step" column.

    .venv/bin/python benchmarks/bench_scaling.py [--part op,backend] [--rounds 11] [--logdir DIR]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import numpy as np  # noqa: E402

from tests import logs  # noqa: E402

OP_SHAPES = [(256, u) for u in (256, 1024, 4096, 16384)] + [(b, 1024) for b in (64, 1024, 4096)]
BACKEND_RUNS = [(10, 1000), (25, 1000), (50, 1000), (50, 250), (50, 500)]


def op_scaling(rounds):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    from tensorboard_plugin_saturation import _tf_statistics, activations  # pylint: disable=g-import-not-at-top

    act = activations.get("sigmoid")
    stats = tf.function(lambda x: _tf_statistics.compute(x, act, activations.DEFAULT_EPS))
    reduce_sum = tf.function(tf.reduce_sum)
    print("op: statistics of sigmoid activations, median of %d interleaved rounds" % rounds)
    print("%-14s %10s %10s %10s %10s %10s" % ("shape", "values", "stats ms", "ns/value", "sum ms", "ratio"))
    for shape in OP_SHAPES:
        pre = np.random.default_rng(0).standard_normal(shape) * 2.0
        x = tf.constant((1.0 / (1.0 + np.exp(-pre))).astype(np.float32))
        stats(x)[0].numpy()  # trace + XLA compile
        reduce_sum(x).numpy()
        t_stats, t_sum = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            stats(x)[0].numpy()
            t_stats.append(time.perf_counter() - start)
            start = time.perf_counter()
            reduce_sum(x).numpy()
            t_sum.append(time.perf_counter() - start)
        s, r = statistics.median(t_stats), statistics.median(t_sum)
        print("%-14s %10d %10.2f %10.2f %10.2f %9.1fx" % (
            "x".join(map(str, shape)), x.shape.num_elements(), s * 1e3, s / x.shape.num_elements() * 1e9,
            r * 1e3, s / r))


def backend_scaling(repeats, root):
    from tensorboard.backend import application  # pylint: disable=g-import-not-at-top
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer  # pylint: disable=g-import-not-at-top
    from tensorboard.plugins import base_plugin  # pylint: disable=g-import-not-at-top
    from werkzeug import test as werkzeug_test  # pylint: disable=g-import-not-at-top

    from tensorboard_plugin_saturation import metadata, plugin as plugin_lib  # pylint: disable=g-import-not-at-top

    def client_for(logdir, provider):
        plugin = plugin_lib.SaturationPlugin(base_plugin.TBContext(
            logdir=logdir, data_provider=provider, sampling_hints={metadata.PLUGIN_NAME: 0}))
        return werkzeug_test.Client(application.TensorBoardWSGI([plugin]))

    def timed(client, url):
        start = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)[:200]
        return time.perf_counter() - start

    print("\nbackend: Python data provider, 32 units; warm = median of %d" % repeats)
    print("%-8s %-7s %12s %12s %12s %16s" % (
        "layers", "steps", "runs ms", "overview ms", "cold ov. ms", "us / layer-step"))
    for layers, steps in BACKEND_RUNS:
        logdir = os.path.join(root, "l%d_s%d" % (layers, steps))
        if not os.path.isdir(os.path.join(logdir, "run")):
            logs.write_run(logdir, "run", layers=tuple("dense_%d" % i for i in range(layers)),
                           steps=range(steps), samples=4, units=32)
        multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={metadata.PLUGIN_NAME: 0})
        multiplexer.AddRunsFromDirectory(logdir)
        multiplexer.Reload()
        provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
        cold = timed(client_for(logdir, provider), "/data/plugin/saturation/overview?run=run")
        client = client_for(logdir, provider)
        timed(client, "/data/plugin/saturation/runs")
        runs = statistics.median(timed(client, "/data/plugin/saturation/runs") for _ in range(repeats))
        overview = statistics.median(timed(client, "/data/plugin/saturation/overview?run=run")
                                     for _ in range(repeats))
        print("%-8d %-7d %12.1f %12.1f %12.1f %16.2f" % (
            layers, steps, runs * 1e3, overview * 1e3, cold * 1e3, overview / (layers * steps) * 1e6))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="op,backend")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--logdir", help="reuse (or write once) the backend logs here")
    args = parser.parse_args()
    parts = args.part.split(",")
    if "op" in parts:
        op_scaling(args.rounds)
    if "backend" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            backend_scaling(args.rounds, args.logdir or tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
