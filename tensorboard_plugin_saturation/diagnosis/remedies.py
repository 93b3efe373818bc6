"""What to do about a finding: a remedy in words and a code snippet that fits the model.

`remedy(finding)` picks the text and the snippet for a `rules.Finding`, in
the language of what logged the worst layer (its metadata's "framework" and
"trainStep"):

- Keras (the callback, or a log that does not say): Keras 3 code, given
  `model` (the compiled Keras model) and `x_train` (its training inputs);
- a Keras model with its own `train_step`: the same, without assuming
  `compile(loss=...)` or that `model` can be wrapped;
- PyTorch ("framework": "torch"): PyTorch code, given `model` (the
  `nn.Module`), `optimizer` and `x_train` (a tensor).

Every snippet runs as it is (tests/test_diagnosis.py, tests/torch).
"""

import math

from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation.diagnosis import rules
from tensorboard_plugin_saturation.diagnosis._format import num

KERAS = "keras"
KERAS_CUSTOM = "keras_custom"  # a Keras model with its own train_step
TORCH = "torch"

INIT_SATURATING = (
    "Initialize the kernels with Glorot (Xavier) uniform, the Keras default for Dense and "
    "Conv layers, so that pre-activations start in the sigmoid/tanh's near-linear range "
    "(Glorot & Bengio 2010); drop any kernel_initializer with a large fixed std such as "
    "RandomNormal(stddev=1.0)."
)
INIT_SATURATING_TORCH = (
    "Initialize the weights with Xavier (Glorot) uniform, nn.init.xavier_uniform_, and the biases "
    "at zero, so that pre-activations start in the sigmoid/tanh's near-linear range (Glorot & "
    "Bengio 2010); drop any initialization with a large fixed std such as nn.init.normal_(std=1.0)."
)
INIT_RELU = (
    "Initialize ReLU kernels with He normal and the biases at zero, so that about half of "
    "each layer's units start active; a LeakyReLU never dies completely."
)
INIT_RELU_TORCH = (
    "Initialize ReLU layers' weights with Kaiming (He) normal, nn.init.kaiming_normal_ with "
    "nonlinearity=\"relu\", and the biases at zero, so that about half of each layer's units start "
    "active; a LeakyReLU never dies completely."
)
LEARNING_RATE = (
    "Lower the learning rate (about 10x%s) and decay it during training. Saturated and dead "
    "units pass almost no gradient and rarely recover, so retrain from a fresh initialization."
)
INPUT_SCALING = (
    "Standardize the inputs to zero mean and unit variance: adapt a keras.layers.Normalization "
    "layer to the training data and put it first (or use sklearn's StandardScaler)."
)
INPUT_SCALING_CUSTOM = (
    "Standardize the inputs to zero mean and unit variance: adapt a keras.layers.Normalization "
    "layer to the training data and apply it to every input your train_step and your evaluation "
    "see (or use sklearn's StandardScaler)."
)
INPUT_SCALING_TORCH = (
    "Standardize the inputs to zero mean and unit variance: compute each feature's mean and std "
    "on the training data and apply them to every batch (a normalization transform, or "
    "sklearn's StandardScaler)."
)
UNKNOWN_SATURATING = (
    "Neither the kernel scale, the input scale nor large updates explain it. Check the bias "
    "initializers and whatever feeds the layer; a BatchNormalization before the activation "
    "keeps pre-activations centred with unit variance."
)
UNKNOWN_SATURATING_TORCH = (
    "Neither the weight scale, the input scale nor large updates explain it. Check the bias "
    "initialization and whatever feeds the layer; a BatchNorm1d/2d before the activation keeps "
    "pre-activations centred with unit variance."
)
UNKNOWN_NONFINITE = (
    "Find where the NaN or Inf come from: check the inputs with numpy.isfinite and look for "
    "divisions, logs or exponentials of unbounded values before this layer."
)
UNKNOWN_NONFINITE_TORCH = (
    "Find where the NaN or Inf come from: check the inputs with torch.isfinite and look for "
    "divisions, logs or exponentials of unbounded values before this layer."
)
MISMATCH = (
    "Log what the activation returns, declared as the activation it is: these values cannot "
    "come from %s. Pass the tensor after the activation (not the Dense/Linear output before it) "
    "and give activation= the function the layer applies."
)
VANISHING = (
    "The gradient fades through the depth: a sigmoid layer passes back at most 0.25 of it. Use "
    "relu with He initialization, fewer layers, residual connections (add a block's input to its "
    "output) or normalization between layers; an adaptive optimizer such as Adam also rescales "
    "small gradients."
)


def language(layer):
    """`KERAS`, `KERAS_CUSTOM` or `TORCH`: how the snippets for this layer are written."""
    if layer.framework == "torch":
        return TORCH
    if layer.train_step == "custom":
        return KERAS_CUSTOM
    return KERAS


def remedy(finding):
    """(remedy text, snippet) for a `rules.Finding`."""
    cause, kind, layer = finding.cause, finding.kind, finding.worst
    lang = language(layer)
    torch = lang == TORCH
    act = activations_lib.get(layer.activation)
    if cause == "initialization":
        if act.judged_by_stuck_units:
            text = INIT_RELU_TORCH if torch else INIT_RELU
        else:
            text = INIT_SATURATING_TORCH if torch else INIT_SATURATING
        return text, (_torch_init_snippet(act) if torch else _layer_snippet(layer, act.initializer))
    if cause == "learning_rate":
        lr = finding.learning_rate
        change = ", from %s to %s" % (num(lr), num(lr / 10)) if math.isfinite(lr) else ""
        clip = kind == rules.KIND_NONFINITE
        if torch:
            return LEARNING_RATE % change, _torch_learning_rate_snippet(lr, clip)
        return LEARNING_RATE % change, _learning_rate_snippet(lr, clip, custom=lang == KERAS_CUSTOM)
    if cause == "input_scaling":
        if torch:
            return INPUT_SCALING_TORCH, TORCH_INPUT_SNIPPET
        if lang == KERAS_CUSTOM:
            return INPUT_SCALING_CUSTOM, CUSTOM_INPUT_SNIPPET
        return INPUT_SCALING, INPUT_SNIPPET
    if cause == "activation_mismatch":
        return MISMATCH % layer.activation, _mismatch_snippet(layer, torch)
    if cause == "vanishing_gradient":
        return VANISHING, (_torch_residual_snippet(layer) if torch else _residual_snippet(layer))
    if kind == rules.KIND_NONFINITE:
        if torch:
            return UNKNOWN_NONFINITE_TORCH, TORCH_NONFINITE_SNIPPET
        return UNKNOWN_NONFINITE, NONFINITE_SNIPPET
    if torch:
        return UNKNOWN_SATURATING_TORCH, _torch_batchnorm_snippet(layer)
    return UNKNOWN_SATURATING, _batchnorm_snippet(layer)


# -- Keras ----------------------------------------------------------------------------


def _layer_snippet(layer, initializer):
    return (
        "import keras\n"
        "\n"
        "# The same kernel_initializer works for Conv1D/2D/3D layers.\n"
        "layer = keras.layers.Dense(\n"
        "    %d, activation=\"%s\", kernel_initializer=\"%s\", bias_initializer=\"zeros\"\n"
        ")\n" % (layer.units, layer.activation, initializer)
    )


def _learning_rate_snippet(lr, clip, custom):
    if math.isfinite(lr):
        initial = "%s,  # 10x lower than the logged %s" % (num(lr / 10), num(lr))
    else:
        initial = "0.1 * float(model.optimizer.learning_rate),  # 10x lower"
    if custom:
        compile_line = "model.compile(optimizer=optimizer)  # your train_step computes the loss\n"
    else:
        compile_line = "model.compile(optimizer=optimizer, loss=model.loss)  # and your metrics=\n"
    return (
        "import keras\n"
        "\n"
        "schedule = keras.optimizers.schedules.ExponentialDecay(\n"
        "    initial_learning_rate=%s\n"
        "    decay_steps=1000,\n"
        "    decay_rate=0.5,\n"
        ")\n"
        "optimizer = keras.optimizers.Adam(learning_rate=schedule%s)\n"
        "%s" % (initial, ", clipnorm=1.0" if clip else "", compile_line)
    )


INPUT_SNIPPET = (
    "import keras\n"
    "\n"
    "normalizer = keras.layers.Normalization()\n"
    "normalizer.adapt(x_train)  # learns each feature's mean and variance\n"
    "inputs = keras.Input(shape=x_train.shape[1:])\n"
    "model = keras.Model(inputs, model(normalizer(inputs)))\n"
)

CUSTOM_INPUT_SNIPPET = (
    "import keras\n"
    "\n"
    "normalizer = keras.layers.Normalization()\n"
    "normalizer.adapt(x_train)  # learns each feature's mean and variance\n"
    "# Standardize every input the same way: training data, validation data, new data.\n"
    "x_train = keras.ops.convert_to_numpy(normalizer(x_train))\n"
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


def _residual_snippet(layer):
    return (
        "import keras\n"
        "\n"
        "# relu with He initialization keeps the gradient's scale through the depth;\n"
        "# the Add gives it a path around each block.\n"
        "inputs = keras.Input(shape=(%d,))\n"
        "x = inputs\n"
        "for _ in range(4):\n"
        "    h = keras.layers.Dense(%d, activation=\"relu\", kernel_initializer=\"he_normal\")(x)\n"
        "    h = keras.layers.BatchNormalization()(h)\n"
        "    x = keras.layers.Add()([x, h])\n"
        "block = keras.Model(inputs, x)\n" % (layer.units, layer.units)
    )


# Each activation as the framework writes it; others by their Keras name
# (parametrised names such as "relu(max_value=6)" by their function's name).
_KERAS_CALLS = {"sigmoid": "keras.activations.sigmoid", "tanh": "keras.activations.tanh",
                "relu": "keras.activations.relu"}
_TORCH_CALLS = {"sigmoid": "torch.sigmoid", "tanh": "torch.tanh", "relu": "torch.relu",
                "hard_sigmoid": "torch.nn.functional.hardsigmoid", "hard_tanh": "torch.nn.functional.hardtanh"}


def _mismatch_snippet(layer, torch):
    name = layer.activation
    base = name.split("(")[0]
    if torch:
        call = _TORCH_CALLS.get(base, "torch.nn.functional.%s" % base)
        return (
            "import torch\n"
            "\n"
            "from tensorboard_plugin_saturation import summary\n"
            "\n"
            "outputs = %s(pre_activations)  # what the activation returns\n"
            "pb = summary.saturation_pb(\"%s\", outputs.detach().cpu().numpy(), activation=\"%s\")\n"
            % (call, layer.tag, name)
        )
    call = _KERAS_CALLS.get(base, "keras.activations.get(\"%s\")" % base)
    return (
        "import keras\n"
        "\n"
        "from tensorboard_plugin_saturation import summary\n"
        "\n"
        "outputs = %s(pre_activations)  # what the activation returns\n"
        "pb = summary.saturation_pb(\"%s\", keras.ops.convert_to_numpy(outputs), activation=\"%s\")\n"
        "# or, inside a tf.summary writer: summary.saturation(\"%s\", outputs, step=step, activation=\"%s\")\n"
        % (call, layer.tag, name, layer.tag, name)
    )


# -- PyTorch ----------------------------------------------------------------------------


def _torch_init_snippet(act):
    if act.judged_by_stuck_units:
        init = "nn.init.kaiming_normal_(module.weight, nonlinearity=\"relu\")"
    else:
        init = "nn.init.xavier_uniform_(module.weight)"
    return (
        "import torch.nn as nn\n"
        "\n"
        "\n"
        "def init_weights(module):\n"
        "    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):\n"
        "        %s\n"
        "        if module.bias is not None:\n"
        "            nn.init.zeros_(module.bias)\n"
        "\n"
        "\n"
        "model.apply(init_weights)\n" % init
    )


def _torch_learning_rate_snippet(lr, clip):
    if math.isfinite(lr):
        new = "%s  # 10x lower than the logged %s" % (num(lr / 10), num(lr))
    else:
        new = "0.1 * group[\"lr\"]  # 10x lower"
    lines = (
        "import torch\n"
        "\n"
        "for group in optimizer.param_groups:\n"
        "    group[\"lr\"] = %s\n"
        "scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)\n"
        "# call scheduler.step() once per epoch, after that epoch's optimizer.step() calls\n" % new
    )
    if clip:
        lines += (
            "# and after each loss.backward(), before optimizer.step():\n"
            "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n"
        )
    return lines


TORCH_INPUT_SNIPPET = (
    "import torch\n"
    "\n"
    "mean = x_train.mean(dim=0, keepdim=True)\n"
    "std = x_train.std(dim=0, keepdim=True) + 1e-7\n"
    "# Standardize every input with the training data's mean and std: training, validation, new data.\n"
    "x_train = (x_train - mean) / std\n"
)

TORCH_NONFINITE_SNIPPET = (
    "import torch\n"
    "\n"
    "print(int((~torch.isfinite(x_train)).sum()), \"non-finite input values\")\n"
    "x_train = torch.nan_to_num(x_train, nan=0.0, posinf=0.0, neginf=0.0)\n"
)


def _torch_batchnorm_snippet(layer):
    module = {"sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()"}.get(
        layer.activation, "nn.Identity()  # then your %s" % layer.activation
    )
    return (
        "import torch.nn as nn\n"
        "\n"
        "block = nn.Sequential(\n"
        "    nn.LazyLinear(%d, bias=False),\n"
        "    nn.BatchNorm1d(%d),\n"
        "    %s,\n"
        ")\n" % (layer.units, layer.units, module)
    )


def _torch_residual_snippet(layer):
    return (
        "import torch\n"
        "import torch.nn as nn\n"
        "\n"
        "\n"
        "class Residual(nn.Module):\n"
        "    \"\"\"relu with He init keeps the gradient's scale; the skip passes it around the block.\"\"\"\n"
        "\n"
        "    def __init__(self, width):\n"
        "        super().__init__()\n"
        "        self.linear = nn.Linear(width, width)\n"
        "        nn.init.kaiming_normal_(self.linear.weight, nonlinearity=\"relu\")\n"
        "        self.norm = nn.BatchNorm1d(width)\n"
        "\n"
        "    def forward(self, x):\n"
        "        return x + torch.relu(self.norm(self.linear(x)))\n"
        "\n"
        "\n"
        "block = nn.Sequential(*[Residual(%d) for _ in range(4)])\n" % layer.units
    )
