"""Fit time with and without `SaturationCallback`, side by side in one process.

The budgets of the README's performance table, on a 4 x 256 sigmoid MLP trained on the
scikit-learn digits (1797 samples, batch 32 unless `--batch-size`, Adam 1e-3)
with a 256-sample probe:

| arm          | what                                                   | budget  | anchor |
| ------------ | ------------------------------------------------------ | ------- | ------ |
| `sat_10`     | SaturationCallback(update_freq=10)                     | <= 1.3x |        |
| `sat_epoch`  | SaturationCallback(update_freq="epoch")                | <= 1.05x |       |
| `naive_10`   | per layer, every 10 batches: eager sub-model + tf.summary.histogram | | ~3.1x |
| `keras_tb`   | keras.callbacks.TensorBoard(histogram_freq=1)          |         | ~1.3x  |

Every arm trains its own copy of the same model. After one warm-up fit per arm
(which also traces the callbacks' compiled functions: a one-time cost, printed
separately), each timed fit of an arm (`--epochs` epochs, `--repeats` per arm,
arms in rotating order) runs between two fits without callback, because the
speed of shared cores drifts by tens of percent within seconds. The table
shows the median wall time of a fit; its ratio to the median without
callback; the flanked ratio, the median over the arm's fits of its time over
the mean of the two fits around it, which is what the budgets are judged on;
and the ratio of the median CPU times of the process (all threads), which
other processes on the same cores disturb least. Each timed fit creates,
writes and closes its event files, like a real `fit`.

    python benchmarks/bench_callback.py [--repeats 7] [--epochs 2] [--batch-size 32] [--arms sat_10,...]

On Keras' JAX or torch backend (`KERAS_BACKEND=jax python benchmarks/bench_callback.py`)
the arms are `sat_10` and `sat_epoch` (the other two need TensorFlow), and
TensorFlow is not imported.
"""

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn import preprocessing  # noqa: E402

import tensorboard_plugin_saturation as sat  # noqa: E402

_ARMS = ("none", "sat_10", "sat_epoch", "naive_10", "keras_tb")
_TF_ONLY_ARMS = ("naive_10", "keras_tb")
_BUDGETS = {"sat_10": 1.3, "sat_epoch": 1.05}
_ANCHORS = {"naive_10": 3.1, "keras_tb": 1.3}
_PROBE_SAMPLES = 256


class NaiveHistogramCallback(keras.callbacks.Callback):
    """The hand-written way: per layer, an eager forward pass and a histogram."""

    def __init__(self, log_dir, probe, update_freq):
        super().__init__()
        self._log_dir = log_dir
        self._probe = probe
        self._update_freq = update_freq
        self._writer = None
        self._extractors = []

    def on_train_begin(self, logs=None):
        import tensorflow as tf  # pylint: disable=import-outside-toplevel

        self._summary = tf.summary
        self._writer = tf.summary.create_file_writer(self._log_dir)
        self._extractors = [
            (layer.name, keras.Model(self.model.input, layer.output))
            for layer in self.model.layers
            if getattr(layer, "activation", None) is keras.activations.sigmoid
        ]

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self._update_freq:
            return
        with self._writer.as_default():
            for name, extractor in self._extractors:
                self._summary.histogram(name, extractor(self._probe), step=step)

    def on_train_end(self, logs=None):
        self._writer.close()


def digits():
    x, y = datasets.load_digits(return_X_y=True)
    x = preprocessing.StandardScaler().fit_transform(x).astype(np.float32)
    return x, y.astype(np.int64)


def mlp(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((64,))
    h = inputs
    for _ in range(4):
        h = keras.layers.Dense(256, activation="sigmoid")(h)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(h))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def make_callbacks(arm, log_dir, probe):
    if arm == "none":
        return []
    if arm == "sat_10":
        return [sat.SaturationCallback(log_dir, probe, update_freq=10)]
    if arm == "sat_epoch":
        return [sat.SaturationCallback(log_dir, probe, update_freq="epoch")]
    if arm == "naive_10":
        return [NaiveHistogramCallback(log_dir, probe, update_freq=10)]
    if arm == "keras_tb":
        return [keras.callbacks.TensorBoard(log_dir, histogram_freq=1)]
    raise ValueError("unknown arm %r" % arm)


def timed_fit(model, x, y, callbacks, epochs, batch_size):
    """Returns (wall seconds, CPU seconds of all threads of this process) of one fit."""
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=callbacks)
    return time.perf_counter() - wall, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed fits per arm")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed fit")
    parser.add_argument("--batch-size", type=int, default=32, help="training batch size")
    available = [arm for arm in _ARMS[1:]
                 if keras.backend.backend() == "tensorflow" or arm not in _TF_ONLY_ARMS]
    parser.add_argument("--arms", default=",".join(available),
                        help="comma-separated subset of %s" % ", ".join(available))
    args = parser.parse_args()
    arms = [arm for arm in args.arms.split(",") if arm]
    unknown = sorted(set(arms) - set(available))
    if unknown or not arms:
        parser.error("unknown arms %s on the %s backend; choose from %s"
                     % (unknown, keras.backend.backend(), ", ".join(available)))

    x, y = digits()
    probe = x[:_PROBE_SAMPLES]
    everything = ["none"] + arms
    models = {arm: mlp(seed=0) for arm in everything}
    wall = {arm: [] for arm in everything}
    cpu = {arm: [] for arm in everything}
    flanked = {arm: [] for arm in arms}

    def fit(arm):
        seconds, cpu_seconds = timed_fit(models[arm], x, y, callbacks[arm], args.epochs, args.batch_size)
        wall[arm].append(seconds)
        cpu[arm].append(cpu_seconds)
        return seconds

    with tempfile.TemporaryDirectory() as root:
        # Warm-up: traces Keras' train function and, for the callback arms, the
        # callbacks' compiled functions; the same callback objects are reused.
        callbacks = {arm: make_callbacks(arm, os.path.join(root, arm), probe) for arm in everything}
        warmup = {arm: timed_fit(models[arm], x, y, callbacks[arm], 1, args.batch_size)[0]
                  for arm in everything}
        # Every arm's fit runs between two fits without callback: the speed of
        # shared cores drifts, and the flanking fits see the same drift.
        before = fit("none")
        for repeat in range(args.repeats):
            for arm in arms[repeat % len(arms):] + arms[:repeat % len(arms)]:
                seconds = fit(arm)
                after = fit("none")
                flanked[arm].append(seconds / ((before + after) / 2))
                before = after

    base = statistics.median(wall["none"])
    batches = args.epochs * -(-len(x) // args.batch_size)
    print("Keras %s on %s: %d timed fits per arm of %d epochs (%d batches), batch %d, probe %d samples"
          % (keras.__version__, keras.backend.backend(), args.repeats, args.epochs, batches,
             args.batch_size, _PROBE_SAMPLES))
    print("ratio: of the median wall times; flanked: median of each fit's ratio to the mean of the")
    print("fits without callback just before and after it; cpu: of the median CPU times of the process")
    print("%-10s %9s %7s %8s %7s %8s %7s %10s" % (
        "arm", "median s", "ratio", "flanked", "cpu", "budget", "anchor", "warm-up s"))
    verdicts = []
    for arm in everything:
        ratio = statistics.median(wall[arm]) / base
        paired = statistics.median(flanked[arm]) if arm in flanked else 1.0
        cpu_ratio = statistics.median(cpu[arm]) / statistics.median(cpu["none"])
        print("%-10s %9.3f %6.2fx %7.2fx %6.2fx %8s %7s %10.2f" % (
            arm, statistics.median(wall[arm]), ratio, paired, cpu_ratio,
            "<=%.2fx" % _BUDGETS[arm] if arm in _BUDGETS else "",
            "~%.1fx" % _ANCHORS[arm] if arm in _ANCHORS else "",
            warmup[arm]))
        if arm in _BUDGETS:
            verdicts.append("%s %s" % (arm, "met" if paired <= _BUDGETS[arm] else "EXCEEDED"))
    if verdicts:
        print("budgets (flanked ratio): " + ", ".join(verdicts))


if __name__ == "__main__":
    main()
