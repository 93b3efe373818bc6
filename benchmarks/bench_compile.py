"""First-fit time with and without `SaturationCallback`, one fit per fresh process.

A user's first `fit` pays every one-time cost: Keras traces its train step, the
callback traces its probe and XLA compiles the statistics kernel. This
benchmark counts them as the user meets them: every fit runs in a new Python
process (`--child`), and the parent alternates fits without and with the
callback (the order flips every round), so that the drift of shared cores
hits both arms alike. Each round's ratio is its fit with the callback over its
fit without; the table gives the medians and the spread of the rounds.

Models (every logged layer a different shape; data are small local arrays):

| model | logged layers                                              | fit                       | budget  |
| ----- | ---------------------------------------------------------- | ------------------------- | ------- |
| `six` | conv 16x16x16, 8x8x32, 4x4x64 (relu); dense 128, 64 (relu), 32 (sigmoid) on 16 x 16 x 1 inputs | 200 batches of 32, update_freq=10, probe 256 | <= 1.3x |
| `vae` | the keras-io VAE: conv 14x14x32, 7x7x64, dense 16, 3136, conv-transpose 14x14x64, 28x28x32 (relu), 28x28x1 (sigmoid) | 2 epochs of 1797 digits (sklearn, 28 x 28), batch 128, update_freq=10, probe 256 | <= 1.3x |

    python benchmarks/bench_compile.py [--model six,vae] [--rounds 7]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

_BUDGET = 1.3
_PROBE_SAMPLES = 256


def six_layer_model():
    """Conv and dense layers of six different output shapes, 16 x 16 x 1 inputs."""
    import keras  # pylint: disable=import-outside-toplevel

    inputs = keras.Input((16, 16, 1))
    h = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(128, activation="relu")(h)
    h = keras.layers.Dense(64, activation="relu")(h)
    h = keras.layers.Dense(32, activation="sigmoid")(h)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(h))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model


def six_layer_data():
    """6400 random 16 x 16 images (200 batches of 32), labelled by the brightest quadrant and row."""
    import numpy as np  # pylint: disable=import-outside-toplevel

    rng = np.random.default_rng(0)
    x = rng.random((6400, 16, 16, 1), np.float32)
    y = (x[:, :8, :8, 0].mean((1, 2)) > x[:, 8:, 8:, 0].mean((1, 2))).astype(np.int64) * 5
    y += x[:, :, :, 0].mean(2).argmax(1) % 5
    return x, y


# The VAE of keras-io's examples/generative/vae.py (fchollet, Apache License 2.0;
# tests/real_models/keras_io_vae.py), with its published `call` (encoder then
# decoder), which the callback probes; the data are scikit-learn's digits,
# scaled up to 28 x 28, instead of MNIST.


def vae_model():
    import keras  # pylint: disable=import-outside-toplevel
    from keras import layers, ops  # pylint: disable=import-outside-toplevel

    from tests.real_models import keras_io_vae  # pylint: disable=import-outside-toplevel

    class Sampling(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    encoder = keras_io_vae.build_encoder(Sampling)
    decoder = keras_io_vae.build_decoder()
    model = keras_io_vae.PublishedVAE(encoder, decoder)
    model.compile(optimizer=keras.optimizers.Adam())
    return model


def vae_data():
    """scikit-learn's 1797 digits, 8 x 8 scaled up 3x and padded to 28 x 28, in [0, 1]."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    from sklearn import datasets  # pylint: disable=import-outside-toplevel

    images = datasets.load_digits().images.astype(np.float32) / 16.0
    images = np.kron(images, np.ones((1, 3, 3), np.float32))
    return np.pad(images, [(0, 0), (2, 2), (2, 2)])[..., np.newaxis], None


_MODELS = {
    "six": (six_layer_model, six_layer_data, dict(batch_size=32, epochs=1)),
    "vae": (vae_model, vae_data, dict(batch_size=128, epochs=2)),
}


def child(model_name, with_callback):
    """One fit in this (fresh) process; prints {"fit": seconds} as JSON."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras  # pylint: disable=import-outside-toplevel

    import tensorboard_plugin_saturation as sat  # pylint: disable=import-outside-toplevel

    build, data, fit_args = _MODELS[model_name]
    keras.utils.set_random_seed(0)
    x, y = data()
    model = build()
    with tempfile.TemporaryDirectory() as log_dir:
        callbacks = [sat.SaturationCallback(log_dir, x[:_PROBE_SAMPLES], update_freq=10)] if with_callback else []
        start = time.perf_counter()
        model.fit(x, y, verbose=0, callbacks=callbacks, **fit_args)
        seconds = time.perf_counter() - start
    print(json.dumps({"fit": seconds}))


def run_child(model_name, with_callback):
    command = [sys.executable, __file__, "--child", model_name] + (["--with-callback"] if with_callback else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["fit"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="six,vae", help="comma-separated subset of %s" % ", ".join(_MODELS))
    parser.add_argument("--rounds", type=int, default=7, help="pairs of fits (without, with) per model")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--with-callback", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.with_callback)
        return
    print("%-5s %6s %10s %10s %8s %16s %8s" % ("model", "rounds", "without s", "with s", "ratio", "ratio range", "budget"))
    for name in [m for m in args.model.split(",") if m]:
        without, with_, ratios = [], [], []
        for r in range(args.rounds):
            order = (False, True) if r % 2 == 0 else (True, False)
            times = {arm: run_child(name, arm) for arm in order}
            without.append(times[False])
            with_.append(times[True])
            ratios.append(times[True] / times[False])
            print("  %s round %d: without %.2f s, with %.2f s, ratio %.2fx" % (
                name, r, times[False], times[True], ratios[-1]), flush=True)
        median = statistics.median(ratios)
        print("%-5s %6d %10.2f %10.2f %7.2fx %7.2f-%.2fx %8s" % (
            name, args.rounds, statistics.median(without), statistics.median(with_), median,
            min(ratios), max(ratios), "met" if median <= _BUDGET else "EXCEEDED"), flush=True)


if __name__ == "__main__":
    main()
