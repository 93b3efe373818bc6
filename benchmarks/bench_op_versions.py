"""The statistics of this checkout against those of another `_tf_statistics.py`.

For changes to the op: save a copy of the module before the change, then

    .venv/bin/python benchmarks/bench_op_versions.py OLD_COPY.py [--activation sigmoid] [--rounds 41]

Both versions (the copy imports the other modules of this checkout) compute
the statistics of the same [2048, 2048] float32 tensor inside `tf.function`,
interleaved with one `tf.reduce_sum` in rotating order, in one process (the
machine's speed drifts between processes by up to 30%).
Prints median wall and CPU times, their ratios to the sum, and new / old.
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import tensorflow as tf  # noqa: E402

from bench_summary_op import activations_of  # noqa: E402
from tensorboard_plugin_saturation import _tf_statistics, activations  # noqa: E402


def load_copy(path):
    spec = importlib.util.spec_from_file_location("old_tf_statistics", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="a copy of tensorboard_plugin_saturation/_tf_statistics.py")
    parser.add_argument("--activation", default="sigmoid", choices=list(activations.ACTIVATIONS))
    parser.add_argument("--rounds", type=int, default=41)
    args = parser.parse_args()

    act = activations.get(args.activation)
    old = load_copy(args.old)
    x = tf.constant(activations_of(args.activation, (2048, 2048)).astype("float32"))
    arms = {
        "reduce_sum": tf.function(tf.reduce_sum),
        "old": tf.function(lambda data: old.compute(data, act, activations.DEFAULT_EPS)),
        "new": tf.function(lambda data: _tf_statistics.compute(data, act, activations.DEFAULT_EPS)),
    }
    for fn in arms.values():  # trace and compile
        tf.nest.map_structure(lambda t: t.numpy(), fn(x))
    wall = {name: [] for name in arms}
    cpu = {name: [] for name in arms}
    order = list(arms)
    for r in range(args.rounds):
        for name in order[r % 3:] + order[: r % 3]:
            c, t = time.process_time(), time.perf_counter()
            tf.nest.map_structure(lambda t: t.numpy(), arms[name](x))
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    med = {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in arms}
    print("%s 2048x2048 float32, %d rounds" % (args.activation, args.rounds))
    print("arm         wall ms    ratio    cpu ms    ratio")
    for name, (w, c) in med.items():
        print("%-10s %8.2f %7.2fx %9.2f %7.2fx" % (name, w * 1e3, w / med["reduce_sum"][0], c * 1e3,
                                                 c / med["reduce_sum"][1]))
    print("new / old: wall %.3f, cpu %.3f" % (med["new"][0] / med["old"][0], med["new"][1] / med["old"][1]))


if __name__ == "__main__":
    main()
