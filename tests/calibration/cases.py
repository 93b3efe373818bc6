"""The calibration set: real architectures trained on small data, healthy and broken by each cause.

Each `Case` is built by us with a known truth: the cause we broke it with
(`None` for a healthy network) and, for a broken network, the healthy twin
that differs from it only in that one change. The training must show the
truth: a healthy network reaches its `floor` score, a broken one scores
worse than its twin after the same training. The tool's verdict never
enters the truth.

Data: scikit-learn's digits (1797 images of 8 x 8 pixels, 0-16), standardized
or as raw pixel values 0-255; synthetic regression data made here. Every
case trains in a few seconds on one CPU core.
"""

import collections

import numpy as np

Case = collections.namedtuple(
    "Case",
    ["name", "architecture", "truth", "twin", "data", "build", "optimizer", "loss", "epochs", "floor",
     "summary_of"],
    defaults=(None,),
)
Case.__doc__ = """One training of the calibration set.

`truth`: the cause the network was broken with, or None for healthy.
`twin`: the healthy case it differs from in one change (None for healthy ones,
and for a wrong call of the summary API, whose training is healthy).
`data`: a key of `datasets()`. `build(keras)` returns the uncompiled model;
`optimizer(keras)` its optimizer; `loss` the Keras loss name. `floor`: the
score (held-out accuracy, or minus the held-out loss for regression and the
autoencoder) a healthy case must reach. `summary_of`: None to log with
`SaturationCallback`; (layer name, activation) to log that layer's output
with `summary.saturation_pb` declared as that activation, as a user of the
summary API might (wrongly).
"""

TRAIN = 1400  # samples used for training; the rest is held out


def datasets():
    """{name: (x, y, kind)}; kind is "classes", "binary", "regression" or "reconstruction"."""
    from sklearn import datasets as sk_datasets

    digits = sk_datasets.load_digits()
    pixels = digits.data.astype("float32")
    standardized = (pixels - pixels.mean(axis=0)) / (pixels.std(axis=0) + 1e-6)
    raw = pixels * (255.0 / 16.0)  # pixel values 0-255, as images come
    labels = digits.target.astype("int32")
    rng = np.random.default_rng(0)
    features = rng.standard_normal((1800, 16)).astype("float32")
    weights = rng.standard_normal((16, 1)).astype("float32") / 4.0
    target = np.tanh(features @ weights) + 0.05 * rng.standard_normal((1800, 1)).astype("float32")
    # Raw measurements: each feature on its own scale and offset (std 20-80).
    scale = rng.uniform(20.0, 80.0, size=16).astype("float32")
    offset = rng.uniform(-100.0, 100.0, size=16).astype("float32")
    return {
        "digits": (standardized, labels, "classes"),
        "digits_raw": (raw, labels, "classes"),
        "digit_images": (standardized.reshape(-1, 8, 8, 1), labels, "classes"),
        "digit_images_raw": (raw.reshape(-1, 8, 8, 1), labels, "classes"),
        "digit_rows": (standardized.reshape(-1, 8, 8), labels, "classes"),
        "digits_small": (standardized, (labels < 5).astype("float32"), "binary"),
        "digits_small_raw": (raw, (labels < 5).astype("float32"), "binary"),
        "pixels_01": (pixels / 16.0, pixels / 16.0, "reconstruction"),
        "measurements": (features * scale + offset, target.astype("float32"), "regression"),
        "measurements_std": (features, target.astype("float32"), "regression"),
    }


def _dense_stack(keras, widths, activation, initializer="glorot_uniform", prefix="hidden"):
    return [
        keras.layers.Dense(w, activation=activation, kernel_initializer=initializer, name="%s_%d" % (prefix, i + 1))
        for i, w in enumerate(widths)
    ]


def _classifier(keras, inputs, hidden, classes=10):
    head = keras.layers.Dense(classes, activation="softmax", name="classes")
    return keras.Sequential([keras.Input(inputs)] + hidden + [head])


def mlp(activation, initializer="glorot_uniform", widths=(64, 64)):
    def build(keras):
        if initializer == "random_normal":
            init = keras.initializers.RandomNormal(stddev=1.0)
        else:
            init = initializer
        return _classifier(keras, (64,), _dense_stack(keras, widths, activation, init))
    return build


def relu_then_sigmoid(keras):
    """A relu layer, then a sigmoid layer: unscaled inputs pass the relu at full scale."""
    return _classifier(keras, (64,), [
        keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal", name="hidden_1"),
        keras.layers.Dense(64, activation="sigmoid", name="hidden_2"),
    ])


def conv_pool_tanh(keras):
    """Conv relu, max pooling, conv relu, flatten, a tanh Dense layer."""
    return _classifier(keras, (8, 8, 1), [
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", kernel_initializer="he_normal", name="conv_1"),
        keras.layers.MaxPooling2D(2, name="pool"),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", kernel_initializer="he_normal", name="conv_2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(32, activation="tanh", name="hidden"),
    ])


def recurrent(cell):
    def build(keras):
        layer = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
        return _classifier(keras, (8, 8), [
            layer(32, name=cell),
            keras.layers.Dense(32, activation="tanh", name="hidden"),
        ])
    return build


def autoencoder(keras):
    return keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal", name="code"),
        keras.layers.Dense(64, activation="sigmoid", name="reconstruction"),
    ])


def batchnorm_binary(keras):
    """Dense, BatchNormalization, sigmoid; a sigmoid output for the binary class."""
    return keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(32, use_bias=False, name="dense"),
        keras.layers.BatchNormalization(name="batchnorm"),
        keras.layers.Activation("sigmoid", name="hidden"),
        keras.layers.Dense(1, activation="sigmoid", name="probability"),
    ])


def split_sigmoid(keras):
    """Dense layers without activation, each followed by an Activation("sigmoid") layer."""
    return _classifier(keras, (64,), [
        keras.layers.Dense(64, name="dense_1"),
        keras.layers.Activation("sigmoid", name="hidden_1"),
        keras.layers.Dense(64, name="dense_2"),
        keras.layers.Activation("sigmoid", name="hidden_2"),
    ])


def regression(normalize):
    def build(keras):
        layers = [keras.Input((16,))]
        if normalize:
            x, _, _ = datasets()["measurements"]
            normalizer = keras.layers.Normalization(name="normalization")
            normalizer.adapt(x[:TRAIN])
            layers.append(normalizer)
        layers += [
            keras.layers.Dense(32, activation="tanh", name="hidden"),
            keras.layers.Dense(1, name="value"),
        ]
        return keras.Sequential(layers)
    return build


def adam(rate):
    return lambda keras: keras.optimizers.Adam(rate)


def sgd(rate, momentum=0.0):
    return lambda keras: keras.optimizers.SGD(rate, momentum=momentum)


def rmsprop(rate):
    return lambda keras: keras.optimizers.RMSprop(rate)


_CE = "sparse_categorical_crossentropy"

CASES = [
    # name, architecture, truth, twin, data, build, optimizer, loss, epochs, floor
    Case("mlp_sigmoid", "MLP 2 x 64 sigmoid, Adam 3e-3", None, None,
         "digits", mlp("sigmoid"), adam(3e-3), _CE, 3, 0.8),
    Case("mlp_sigmoid_bad_init", "same, RandomNormal(1.0) kernels", "initialization", "mlp_sigmoid",
         "digits", mlp("sigmoid", "random_normal"), adam(3e-3), _CE, 3, None),
    Case("mlp_sigmoid_high_lr", "same, Adam 0.3", "learning_rate", "mlp_sigmoid",
         "digits", mlp("sigmoid"), adam(0.3), _CE, 3, None),
    Case("mlp_sigmoid_raw", "same, pixel values 0-255", "input_scaling", "mlp_sigmoid",
         "digits_raw", mlp("sigmoid"), adam(3e-3), _CE, 3, None),
    Case("relu_sigmoid", "MLP relu 64 then sigmoid 64, Adam 3e-3", None, None,
         "digits", relu_then_sigmoid, adam(3e-3), _CE, 3, 0.8),
    Case("relu_sigmoid_raw", "same, pixel values 0-255", "input_scaling", "relu_sigmoid",
         "digits_raw", relu_then_sigmoid, adam(3e-3), _CE, 3, None),
    Case("mlp_tanh_sgd", "MLP 2 x 64 tanh, SGD 0.05 momentum 0.9", None, None,
         "digits", mlp("tanh"), sgd(0.05, 0.9), _CE, 3, 0.8),
    Case("mlp_tanh_sgd_bad_init", "same, RandomNormal(1.0) kernels", "initialization", "mlp_tanh_sgd",
         "digits", mlp("tanh", "random_normal"), sgd(0.05, 0.9), _CE, 3, None),
    Case("mlp_relu_rmsprop", "MLP 2 x 64 relu He, RMSprop 1e-3", None, None,
         "digits", mlp("relu", "he_normal"), rmsprop(1e-3), _CE, 3, 0.8),
    Case("mlp_relu_rmsprop_high_lr", "same, RMSprop 0.1", "learning_rate", "mlp_relu_rmsprop",
         "digits", mlp("relu", "he_normal"), rmsprop(0.1), _CE, 3, None),
    Case("conv", "Conv relu, MaxPool, Conv relu, Flatten, Dense tanh; Adam 3e-3", None, None,
         "digit_images", conv_pool_tanh, adam(3e-3), _CE, 3, 0.8),
    Case("conv_raw", "same, pixel values 0-255", "input_scaling", "conv",
         "digit_images_raw", conv_pool_tanh, adam(3e-3), _CE, 3, None),
    Case("lstm", "LSTM 32 over the 8 rows, Dense tanh; Adam 1e-2", None, None,
         "digit_rows", recurrent("lstm"), adam(1e-2), _CE, 3, 0.8),
    Case("gru", "GRU 32 over the 8 rows, Dense tanh; RMSprop 3e-3", None, None,
         "digit_rows", recurrent("gru"), rmsprop(3e-3), _CE, 3, 0.8),
    Case("gru_high_lr", "same, RMSprop 0.5", "learning_rate", "gru",
         "digit_rows", recurrent("gru"), rmsprop(0.5), _CE, 3, None),
    Case("autoencoder", "autoencoder 64-16 relu-64 sigmoid, binary cross-entropy, Adam 1e-2", None, None,
         "pixels_01", autoencoder, adam(1e-2), "binary_crossentropy", 3, -0.35),
    Case("batchnorm_binary_raw", "Dense, BatchNormalization, sigmoid, sigmoid output; pixel values 0-255; "
         "binary; SGD 0.1", None, None,
         "digits_small_raw", batchnorm_binary, sgd(0.1), "binary_crossentropy", 3, 0.8),
    Case("regression_normalized", "Normalization, Dense tanh 32, linear output; features of std 20-80; "
         "Adam 1e-2", None, None,
         "measurements", regression(True), adam(1e-2), "mse", 3, -0.05),
    Case("regression_raw", "same without the Normalization layer", "input_scaling", "regression_normalized",
         "measurements", regression(False), adam(1e-2), "mse", 3, None),
    Case("deep_relu_sgd", "MLP 8 x 32 relu He, SGD 0.05", None, None,
         "digits", mlp("relu", "he_normal", (32,) * 8), sgd(0.05), _CE, 3, 0.8),
    Case("deep_relu_adam", "MLP 8 x 32 relu He, Adam 3e-3", None, None,
         "digits", mlp("relu", "he_normal", (32,) * 8), adam(3e-3), _CE, 3, 0.8),
    Case("deep_sigmoid_adam", "MLP 8 x 32 sigmoid Glorot, Adam 3e-3", "vanishing_gradient", "deep_relu_adam",
         "digits", mlp("sigmoid", "glorot_uniform", (32,) * 8), adam(3e-3), _CE, 3, None),
    Case("batchnorm_binary_raw_short", "Dense, BatchNormalization, sigmoid, sigmoid output; pixel values "
         "0-255; binary; SGD 0.1; one epoch (44 steps: 64% of the moving statistics still initial)", None, None,
         "digits_small_raw", batchnorm_binary, sgd(0.1), "binary_crossentropy", 1, 0.6),
    Case("summary_preactivations", "Dense then Activation(sigmoid), 2 x 64, Adam 3e-3; the Dense outputs "
         "logged with summary.saturation_pb(activation=\"sigmoid\")", "activation_mismatch", None,
         "digits", split_sigmoid, adam(3e-3), _CE, 3, None, ("dense_1", "sigmoid")),
    Case("summary_wrong_activation", "MLP 2 x 64 tanh, SGD 0.05 momentum 0.9; hidden_1 logged with "
         "summary.saturation_pb(activation=\"relu\")", "activation_mismatch", None,
         "digits", mlp("tanh"), sgd(0.05, 0.9), _CE, 3, None, ("hidden_1", "relu")),
    Case("deep_sigmoid_sgd", "MLP 8 x 32 sigmoid Glorot, SGD 0.05", "vanishing_gradient", "deep_relu_sgd",
         "digits", mlp("sigmoid", "glorot_uniform", (32,) * 8), sgd(0.05), _CE, 3, None),
]

BY_NAME = {case.name: case for case in CASES}
