"""What to do about a finding: a remedy in words and a code snippet.

`remedy(finding)` picks the text and the snippet for a `rules.Finding`. Each
snippet is Keras 3 code that runs as is, given `model` (the user's Keras
model) and `x_train` (its training inputs) where it names them.
"""

import math

from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation.diagnosis import rules
from tensorboard_plugin_saturation.diagnosis._format import num

INIT_SATURATING = (
    "Initialize the kernels with Glorot (Xavier) uniform, the Keras default for Dense and "
    "Conv layers, so that pre-activations start in the sigmoid/tanh's near-linear range "
    "(Glorot & Bengio 2010); drop any kernel_initializer with a large fixed std such as "
    "RandomNormal(stddev=1.0)."
)
INIT_RELU = (
    "Initialize ReLU kernels with He normal and the biases at zero, so that about half of "
    "each layer's units start active; a LeakyReLU never dies completely."
)
LEARNING_RATE = (
    "Lower the learning rate (about 10x%s) and decay it during training. Saturated and dead "
    "units pass almost no gradient and rarely recover, so retrain from a fresh initialization."
)
INPUT_SCALING = (
    "Standardize the inputs to zero mean and unit variance: adapt a keras.layers.Normalization "
    "layer to the training data and put it first (or use sklearn's StandardScaler)."
)
UNKNOWN_SATURATING = (
    "Neither the kernel scale, the input scale nor large updates explain it. Check the bias "
    "initializers and whatever feeds the layer; a BatchNormalization before the activation "
    "keeps pre-activations centred with unit variance."
)
UNKNOWN_NONFINITE = (
    "Find where the NaN or Inf come from: check the inputs with numpy.isfinite and look for "
    "divisions, logs or exponentials of unbounded values before this layer."
)


def remedy(finding):
    """(remedy text, snippet) for a `rules.Finding`."""
    cause, kind, layer = finding.cause, finding.kind, finding.worst
    if cause == "initialization":
        act = activations_lib.get(layer.activation)
        return (INIT_RELU if act.judged_by_stuck_units else INIT_SATURATING), _layer_snippet(layer, act.initializer)
    if cause == "learning_rate":
        lr = finding.learning_rate
        change = ", from %s to %s" % (num(lr), num(lr / 10)) if math.isfinite(lr) else ""
        return LEARNING_RATE % change, _learning_rate_snippet(lr, clip=kind == rules.KIND_NONFINITE)
    if cause == "input_scaling":
        return INPUT_SCALING, INPUT_SNIPPET
    if kind == rules.KIND_NONFINITE:
        return UNKNOWN_NONFINITE, NONFINITE_SNIPPET
    return UNKNOWN_SATURATING, _batchnorm_snippet(layer)


def _layer_snippet(layer, initializer):
    return (
        "import keras\n"
        "\n"
        "# The same kernel_initializer works for Conv1D/2D/3D layers.\n"
        "layer = keras.layers.Dense(\n"
        "    %d, activation=\"%s\", kernel_initializer=\"%s\", bias_initializer=\"zeros\"\n"
        ")\n" % (layer.units, layer.activation, initializer)
    )


def _learning_rate_snippet(lr, clip):
    if math.isfinite(lr):
        initial = "%s,  # 10x lower than the logged %s" % (num(lr / 10), num(lr))
    else:
        initial = "0.1 * float(model.optimizer.learning_rate),  # 10x lower"
    return (
        "import keras\n"
        "\n"
        "schedule = keras.optimizers.schedules.ExponentialDecay(\n"
        "    initial_learning_rate=%s\n"
        "    decay_steps=1000,\n"
        "    decay_rate=0.5,\n"
        ")\n"
        "optimizer = keras.optimizers.Adam(learning_rate=schedule%s)\n"
        "model.compile(optimizer=optimizer, loss=model.loss, metrics=[\"accuracy\"])\n"
        % (initial, ", clipnorm=1.0" if clip else "")
    )


INPUT_SNIPPET = (
    "import keras\n"
    "\n"
    "normalizer = keras.layers.Normalization()\n"
    "normalizer.adapt(x_train)  # learns each feature's mean and variance\n"
    "inputs = keras.Input(shape=x_train.shape[1:])\n"
    "model = keras.Model(inputs, model(normalizer(inputs)))\n"
)

NONFINITE_SNIPPET = (
    "import keras\n"
    "import numpy as np\n"
    "\n"
    "print(np.count_nonzero(~np.isfinite(x_train)), \"non-finite input values\")\n"
    "x_train = np.nan_to_num(x_train, nan=0.0, posinf=0.0, neginf=0.0)\n"
    "print(np.isfinite(keras.ops.convert_to_numpy(model(x_train[:32]))).all())\n"
)


def _batchnorm_snippet(layer):
    return (
        "import keras\n"
        "\n"
        "block = keras.Sequential([\n"
        "    keras.layers.Dense(%d, use_bias=False),\n"
        "    keras.layers.BatchNormalization(),\n"
        "    keras.layers.Activation(\"%s\"),\n"
        "])\n" % (layer.units, layer.activation)
    )
