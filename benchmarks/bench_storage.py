"""Storage and memory: bytes on disk per logged layer-step, and TensorBoard's RSS.

1. Bytes per layer-step (budget: under 8 KB for a 4096-unit layer), for a
   [256, units] sigmoid layer logged `--steps` times by each writer into its own
   event file: `summary.saturation` (TF, in `tf.function`), `saturation_pb` +
   TensorBoard's `EventFileWriter`, and `tf.summary.histogram` (30 buckets) of
   the same data for comparison. "per step" is the marginal size
   (size after N steps - size after 1 step) / (N - 1); "first" is the first
   step's event, which may carry the summary metadata once.
2. Resident memory (budget: under 1 GB) of a real `tensorboard` serving 50
   layers x 1000 steps x 1024 units, once loaded and after the tab's requests
   (runs, overview, and layer + units of 5 layers): the sum of VmRSS of the
   `tensorboard` process and of its data server child (`--load_fast=true`),
   also shown for `--load_fast=false`. Processes are found by the unique logdir
   in their command line, through /proc (Linux).

    .venv/bin/python benchmarks/bench_storage.py [--steps 50] [--logdir DIR] [--skip-rss]
"""

import argparse
import os
import sys
import tempfile
import time
import urllib.request

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import numpy as np  # noqa: E402
from tensorboard.compat.proto import event_pb2  # noqa: E402
from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa: E402

from tensorboard_plugin_saturation import summary  # noqa: E402
from tests import logs  # noqa: E402
from tests.tensorboard_process import get_json, serve, wait_for  # noqa: E402

ROOT = "/data/plugin/saturation"
STEP_BUDGET = 8 * 1024
RSS_BUDGET = 1024**3


def _dir_size(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def _write_tf(path, data, steps, kind):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    writer = tf.summary.create_file_writer(path)

    @tf.function
    def log(x, step):
        with writer.as_default():
            if kind == "histogram":
                return tf.summary.histogram("dense", x, step=step)
            return summary.saturation("dense", x, step=step, activation="sigmoid")

    x = tf.constant(data)
    for step in range(steps):
        log(x, tf.constant(step, tf.int64))
    writer.close()


def _write_pb(path, data, steps):
    writer = EventFileWriter(path)
    pb = summary.saturation_pb("dense", data, activation="sigmoid")
    for step in range(steps):
        writer.add_event(event_pb2.Event(step=step, wall_time=1.7e9 + step, summary=pb))
    writer.close()


def bytes_per_step(tmp, units, steps):
    """{writer: (first step bytes, marginal bytes per step)} for a [256, units] layer."""
    data = logs.layer_activations(np.random.default_rng(units), 256, units, 2.0).astype(np.float32)
    writers = {
        "saturation (TF)": lambda p, n: _write_tf(p, data, n, "saturation"),
        "saturation_pb": lambda p, n: _write_pb(p, data, n),
        "tf.summary.histogram": lambda p, n: _write_tf(p, data, n, "histogram"),
    }
    result = {}
    for name, write in writers.items():
        sizes = {}
        for n in (0, 1, steps):
            path = os.path.join(tmp, "%s-%d-%d" % (name.split()[0], units, n))
            if n:
                write(path, n)
            else:  # an empty writer: the file header alone
                (EventFileWriter(path)).close()
            sizes[n] = _dir_size(path)
        result[name] = (sizes[1] - sizes[0], (sizes[steps] - sizes[1]) / (steps - 1))
    return result


def _ancestors():
    """This process and its parents (they carry the logdir in their command line too)."""
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        with open("/proc/%d/stat" % pid) as f:
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    return pids


def _processes_with(text):
    """PIDs, other than ours and our parents', whose command line contains `text` (from /proc)."""
    pids, skip = [], _ancestors()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in skip:
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


def _rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def tensorboard_rss(logdir, layers, steps, load_fast):
    """(total RSS bytes, {pid: (RSS bytes, command)}) after loading and the tab's requests."""
    with serve(logdir, load_fast=load_fast, timeout=300) as base:
        wait_for(lambda: any(
            len(r["layers"]) == len(layers) and all(layer["maxStep"] == steps - 1 for layer in r["layers"])
            for r in get_json(base + ROOT + "/runs")["runs"]), timeout=1800, interval=2.0)
        paths = ["/runs", "/overview?run=big"]
        for tag in layers[:: max(1, len(layers) // 5)][:5]:
            paths += ["/layer?run=big&tag=" + tag, "/units?run=big&tag=" + tag]
        for path in paths:
            with urllib.request.urlopen(base + ROOT + path, timeout=120) as response:
                response.read()
        time.sleep(2)
        found = {}
        for pid in _processes_with(logdir):
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                command = os.path.basename(f.read().split(b"\0")[0].decode())
            found[pid] = (_rss(pid), command)
        return sum(rss for rss, _ in found.values()), found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="steps per writer for the size")
    parser.add_argument("--logdir", help="reuse (or write once) the 50 x 1000 x 1024 logs here")
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args()

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        print("bytes on disk per logged layer-step of a [256, units] sigmoid layer (%d steps)" % args.steps)
        print("%-7s %-22s %10s %10s %14s" % ("units", "writer", "first", "per step", "budget"))
        for units in (256, 1024, 4096):
            for name, (first, per_step) in bytes_per_step(tmp, units, args.steps).items():
                verdict = ""
                if units == 4096 and name != "tf.summary.histogram":
                    verdict = "< 8192 ok" if per_step < STEP_BUDGET else "> 8192 FAIL"
                    failed |= per_step >= STEP_BUDGET
                print("%-7d %-22s %10d %10.0f %14s" % (units, name, first, per_step, verdict))

        if not args.skip_rss:
            layers = tuple("dense_%d" % i for i in range(50))
            logdir = args.logdir or os.path.join(tmp, "rss-logs")
            if not os.path.isdir(os.path.join(logdir, "big")):
                start = time.time()
                logs.write_run(logdir, "big", layers=layers, steps=range(1000), samples=8, units=1024)
                print("\nwrote 50 layers x 1000 steps x 1024 units (%.0f MB) in %.0f s"
                      % (_dir_size(logdir) / 1e6, time.time() - start))
            print("\nTensorBoard resident memory, 50 layers x 1000 steps x 1024 units, after the tab's requests")
            for load_fast in ("true", "false"):
                total, found = tensorboard_rss(logdir, layers, 1000, load_fast)
                parts = ", ".join("%s %.0f MB" % (cmd, rss / 2**20) for rss, cmd in found.values())
                verdict = ""
                if load_fast == "true":
                    verdict = "< 1 GB ok" if total < RSS_BUDGET else "> 1 GB FAIL"
                    failed |= total >= RSS_BUDGET
                print("--load_fast=%-5s total %6.0f MB  (%s)  %s" % (load_fast, total / 2**20, parts, verdict))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
