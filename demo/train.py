"""Six training runs that show the three causes of saturation and their fixes.

A 4 x 256 sigmoid MLP learns the scikit-learn digits (no download) with
`SaturationCallback` logging every run into one logdir:

| run           | what changes from the healthy setup                | expected      |
| ------------- | -------------------------------------------------- | ------------- |
| `bad_init`    | kernels drawn from RandomNormal(stddev=1.0)        | saturated from step 0, every layer |
| `glorot_init` | nothing (Glorot, Adam 1e-3, standardized inputs)   | healthy       |
| `high_lr`     | Adam with learning rate 0.3                        | saturates while training, chance accuracy |
| `lr_decay`    | Adam 1e-3 decayed by ExponentialDecay              | healthy       |
| `raw_inputs`  | raw pixel values 0-255, not standardized           | first layer saturated from step 0 |
| `standardized`| the same raw pixels through a Normalization layer   | healthy       |

    python demo/train.py --logdir demo/logs [--epochs 10]
    tensorboard --logdir demo/logs        # then open the Saturation tab

Seeds are fixed and op determinism is on, so two invocations log the same
numbers. After each run it prints, per layer, the saturated share at step 0
and at the last step, and the test accuracy.
"""

import argparse
import os
import sys
import time

# 3 also hides TensorFlow's C++ error-level messages. The only one the demo
# meets is noise: with op determinism on, tf.data rewrites Keras' parallel
# shuffling map into a sequential MapDataset and copies an attribute that op
# does not have ("NodeDef mentions attribute use_unbounded_threadpool which is
# not in the op definition"), once or twice per fit. Real failures still raise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn import model_selection  # noqa: E402
from sklearn import preprocessing  # noqa: E402
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402

import tensorboard_plugin_saturation as sat  # noqa: E402
from tensorboard_plugin_saturation import metadata  # noqa: E402

SEED = 0
HIDDEN_LAYERS = 4
UNITS = 256
BATCH_SIZE = 64
PROBE_SAMPLES = 256
UPDATE_FREQ = 10  # batches between logs
RUNS = ("bad_init", "glorot_init", "high_lr", "lr_decay", "raw_inputs", "standardized")
LAYER_NAMES = tuple("hidden_%d" % (i + 1) for i in range(HIDDEN_LAYERS))


def load_data():
    """Digits as raw pixel values 0-255 (the 0-16 counts scaled), split 80/20, and standardized copies."""
    x, y = datasets.load_digits(return_X_y=True)
    x_raw = (x * (255.0 / 16.0)).astype(np.float32)
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        x_raw, y, test_size=0.2, random_state=SEED, stratify=y
    )
    scaler = preprocessing.StandardScaler().fit(x_train)
    return {
        "raw": (x_train, x_test),
        "standardized": (
            scaler.transform(x_train).astype(np.float32),
            scaler.transform(x_test).astype(np.float32),
        ),
        "labels": (y_train, y_test),
    }


def build_model(run, x_train_raw, steps_per_epoch):
    """The 4 x 256 sigmoid MLP, healthy unless `run` changes it."""
    keras.utils.set_random_seed(SEED)
    initializer = (
        keras.initializers.RandomNormal(stddev=1.0, seed=SEED)
        if run == "bad_init"
        else keras.initializers.GlorotUniform(seed=SEED)
    )
    inputs = keras.Input((64,), name="pixels")
    h = inputs
    if run == "standardized":
        normalization = keras.layers.Normalization(name="normalization")
        normalization.adapt(x_train_raw)
        h = normalization(h)
    for name in LAYER_NAMES:
        h = keras.layers.Dense(UNITS, activation="sigmoid", kernel_initializer=initializer, name=name)(h)
    outputs = keras.layers.Dense(10, activation="softmax", name="classes")(h)
    model = keras.Model(inputs, outputs, name=run)
    model.compile(optimizer=make_optimizer(run, steps_per_epoch),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def make_optimizer(run, steps_per_epoch):
    if run == "high_lr":
        return keras.optimizers.Adam(0.3)
    if run == "lr_decay":
        schedule = keras.optimizers.schedules.ExponentialDecay(
            1e-3, decay_steps=steps_per_epoch, decay_rate=0.95
        )
        return keras.optimizers.Adam(schedule)
    return keras.optimizers.Adam(1e-3)


def train(run, data, logdir, epochs):
    """Trains one run; returns (test accuracy, seconds)."""
    inputs = "raw" if run in ("raw_inputs", "standardized") else "standardized"
    x_train, x_test = data[inputs]
    y_train, y_test = data["labels"]
    steps_per_epoch = -(-len(x_train) // BATCH_SIZE)
    model = build_model(run, data["raw"][0], steps_per_epoch)
    callback = sat.SaturationCallback(
        os.path.join(logdir, run), x_train[:PROBE_SAMPLES], update_freq=UPDATE_FREQ
    )
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=0,
              callbacks=[callback])
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return accuracy, seconds


def read_layers(run_dir):
    """{layer: (steps, layer vectors, logged Layout)} read back from the run's event files."""
    accumulator = event_accumulator.EventAccumulator(
        run_dir, size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    result = {}
    for name in LAYER_NAMES:
        events = accumulator.Tensors(name)
        content = accumulator.SummaryMetadata(name).plugin_data.content
        result[name] = (
            [e.step for e in events],
            np.stack([tf.make_ndarray(e.tensor_proto) for e in events]),
            metadata.layer_layout(metadata.parse_plugin_metadata(content)),
        )
    return result


def signature(run_dir):
    """Per layer: saturated share at the first and last step, mean derivative at the last."""
    rows = []
    for name, (steps, values, layout) in read_layers(run_dir).items():
        saturated = layout.saturated(values)
        derivative = layout.field(values, "meanDerivative")
        rows.append((name, steps[0], saturated[0], steps[-1], saturated[-1], derivative[-1]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logdir", required=True, help="directory to write the six runs into")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be >= 1; got %d" % args.epochs)
    existing = [run for run in RUNS if os.path.isdir(os.path.join(args.logdir, run))
                and os.listdir(os.path.join(args.logdir, run))]
    if existing:
        parser.error("runs %s already exist in %s; choose a new --logdir" % (existing, args.logdir))

    tf.config.experimental.enable_op_determinism()
    data = load_data()
    total = time.perf_counter()
    for run in RUNS:
        accuracy, seconds = train(run, data, args.logdir, args.epochs)
        print("\n%s: test accuracy %.3f, %d epochs in %.1f s" % (run, accuracy, args.epochs, seconds))
        print("  %-9s %18s %18s %14s" % ("layer", "saturated at start", "saturated at end", "mean f' at end"))
        for name, first, start_share, last, end_share, derivative in signature(os.path.join(args.logdir, run)):
            print("  %-9s %9.1f%% (step %d) %8.1f%% (step %d) %10.3f"
                  % (name, 100 * start_share, first, 100 * end_share, last, derivative))
    print("\nall six runs in %.1f s; tensorboard --logdir %s" % (time.perf_counter() - total, args.logdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
