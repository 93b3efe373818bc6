"""Which layers of a Keras model `SaturationCallback` logs, and under which tags.

`find_targets` walks a Keras model and picks the layers whose output is a
supported activation (`activations.py`) and the gates of its recurrent layers
(`_recurrent.py`); `skipped_layers` names the layers it leaves out and why;
`walk` is the traversal, `_tags` the naming, `glorot_std` the reference scale
of a kernel. Nothing here runs the model (which targets are model outputs is
known from the probe's trace: `_probe.output_indices`).
"""

import collections
import math

import keras
import numpy as np

from tensorboard_plugin_saturation._legacy_keras import EITHER as _keras

from tensorboard_plugin_saturation import _recurrent
from tensorboard_plugin_saturation import activations as activations_lib

Target = collections.namedtuple(
    "Target", ["layer", "tag", "activation", "index", "gate", "group"],
    defaults=(None, None),
)
Target.__doc__ = """One logged series: the Keras layer, its tag, its `Activation`, its position.

gate: None, or the recurrent gate (`_recurrent.GATES`) whose values are logged.
group: None, or the tag of the recurrent layer whose gates share the group.
Whether a target is a model output is known from the probe's trace (`_probe.output_indices`).
"""

# Layers whose output is `activation(...)` of their own computation. Recurrent
# layers also have an `activation`, but their output is not its output.
_LAYERS_WITH_ACTIVATION = (
    _keras.layers.Dense,
    _keras.layers.EinsumDense,
    _keras.layers.Conv1D,
    _keras.layers.Conv2D,
    _keras.layers.Conv3D,
    _keras.layers.Conv1DTranspose,
    _keras.layers.Conv2DTranspose,
    _keras.layers.Conv3DTranspose,
    _keras.layers.SeparableConv1D,
    _keras.layers.SeparableConv2D,
    _keras.layers.DepthwiseConv1D,
    _keras.layers.DepthwiseConv2D,
    _keras.layers.Activation,
)


def function_activation(function):
    """The activation record name of an activation function (`activations.keras_name`), or None."""
    return activations_lib.keras_name(function)


def activation_name(layer):
    """The activation record name of `layer`'s output (see `activations.py`), or None.

    Activation layers (`ReLU`, `ELU`, `Activation`) are named by
    `activations.keras_name`; layers with an `activation=` (Dense, Conv...) by
    their activation function.
    """
    if isinstance(layer, (_keras.layers.ReLU, _keras.layers.ELU, _keras.layers.Activation)):
        return activations_lib.keras_name(layer)
    if isinstance(layer, _LAYERS_WITH_ACTIVATION):
        return function_activation(layer.activation)
    return None


def unsupported_activation(layer):
    """The name of `layer`'s activation if it has one the plugin cannot log, else None.

    None also for layers without an activation and for a linear one.
    """
    if isinstance(layer, _keras.layers.ReLU):
        if activation_name(layer):
            return None
        return "ReLU(max_value=%s, negative_slope=%s, threshold=%s)" % (
            layer.max_value, float(layer.negative_slope), float(layer.threshold))
    if isinstance(layer, _keras.layers.ELU):
        return None if activation_name(layer) else "ELU(alpha=%s)" % (layer.alpha,)
    if isinstance(layer, _LAYERS_WITH_ACTIVATION):
        if activation_name(layer):
            return None
        name = _function_name(layer.activation)
        return None if name == "linear" else name
    if isinstance(layer, _ACTIVATION_LAYERS):
        return type(layer).__name__
    return None


# Layers that are an activation the plugin has no record for.
_ACTIVATION_LAYERS = (
    _keras.layers.Softmax,
    _keras.layers.LeakyReLU,
    _keras.layers.PReLU,
)


def _function_name(function):
    return getattr(function, "__name__", None) or type(function).__name__


def _children(layer):
    """The layers `layer` holds directly, in the order Keras tracks them."""
    if isinstance(layer, _keras.Model):
        return list(layer.layers)
    if isinstance(layer, _keras.layers.RNN):
        return []  # the cell: its gates are the layer's targets
    return list(layer._flatten_layers(include_self=False, recursive=False))  # pylint: disable=protected-access


def walk(model, prefix=()):
    """Yields (path, layer) for every layer inside `model`, depth first in network order.

    Recurses into nested models (Sequential, Functional or subclassed), custom
    `Layer`s that hold layers, and wrappers (`Bidirectional`,
    `TimeDistributed`). `path` is the tuple of names from `prefix` down. Each
    layer object is yielded once, where it is first met.
    """
    seen = set()

    def visit(container, path_prefix):
        for layer in _children(container):
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            path = path_prefix + (layer.name,)
            yield path, layer
            yield from visit(layer, path)

    yield from visit(model, tuple(prefix))


def _walk_roots(model, roots):
    if roots is None:
        return list(walk(model))
    found = []
    for root in roots:
        found.append(((root.name,), root))
        found.extend(walk(root, (root.name,)))
    return found


def _supported(layer):
    if activation_name(layer):
        return True
    return _recurrent.cell_kind(layer) is not None and not layer.stateful


def find_targets(model, layers=None, roots=None):
    """Returns the `Target`s to log for `model`, in network order.

    A recurrent layer (LSTM, GRU, SimpleRNN) gives one target per gate, tagged
    `<layer>/<gate>` (SimpleRNN: one, its state, tagged `<layer>`); gates whose
    activation is not supported are left out (see `skipped_layers`).

    Args:
      model: A built Keras model.
      layers: None to log every layer whose activation is supported, else a
        sequence of layer names (searched in `model` and every layer it holds)
        or layer objects.
      roots: None to search the whole model, else the sub-models to search
        (a model probed through its sub-models).

    Raises:
      ValueError: A name matches no layer, or a given layer's activation is not
        supported.
    """
    found = _walk_roots(model, roots)
    if layers is None:
        chosen = [(path, layer) for path, layer in found if _supported(layer)]
    else:
        chosen = [_resolve(model, found, entry) for entry in layers]
    unique = []
    for path, layer in chosen:
        if all(layer is not other for _, other in unique):
            unique.append((path, layer))
    position = {id(layer): i for i, (_, layer) in enumerate(found)}
    unique.sort(key=lambda item: position.get(id(item[1]), len(found)))
    tags = _tags([path for path, _ in unique])
    targets = []
    for tag, (_, layer) in zip(tags, unique):
        if _recurrent.cell_kind(layer) is None:
            targets.append(Target(layer, tag, activations_lib.get(activation_name(layer)), len(targets)))
            continue
        for gate, function in _recurrent.gate_functions(layer):
            name = function_activation(function)
            if name is None:
                continue
            if gate == "state":
                targets.append(Target(layer, tag, activations_lib.get(name), len(targets), gate=gate))
            else:
                targets.append(Target(layer, tag + "/" + gate, activations_lib.get(name),
                                      len(targets), gate=gate, group=tag))
    return targets


def skipped_layers(model, roots=None):
    """[(layer path, why)] of the layers with an activation the callback does not log."""
    skipped = []
    for path, layer in _walk_roots(model, roots):
        reason = _skip_reason(layer)
        if reason:
            skipped.append(("/".join(path), reason))
    return skipped


def _skip_reason(layer):
    name = unsupported_activation(layer)
    if name is not None:
        return "activation %s is not supported; supported: %s" % (name, ", ".join(activations_lib.ACTIVATIONS))
    if isinstance(layer, _keras.layers.RNN):
        kind = _recurrent.cell_kind(layer)
        if kind is None:
            return ("the gates of a %s cell are not recomputed (supported: LSTM, GRU, "
                    "SimpleRNN cells)" % type(layer.cell).__name__)
        if layer.stateful:
            return "a stateful recurrent layer is not probed (its states belong to the training batches)"
        gates = [(gate, _function_name(f)) for gate, f in _recurrent.gate_functions(layer)
                 if function_activation(f) is None]
        if gates:
            return "gates %s: activation %s is not supported" % (
                ", ".join(g for g, _ in gates), ", ".join(sorted({n for _, n in gates})))
    return None


def _resolve(model, found, entry):
    if isinstance(entry, str):
        matches = [(path, layer) for path, layer in found if layer.name == entry]
        if not matches:
            raise ValueError(
                "SaturationCallback: no layer named %r in model %r. Layers: %s"
                % (entry, model.name, ", ".join(layer.name for _, layer in found))
            )
        path, layer = matches[0]
    else:
        layer = entry
        path = next((p for p, other in found if other is layer), (layer.name,))
    if not _supported(layer):
        why = _skip_reason(layer) or "its output is no activation the plugin has a record for, and it is not a recurrent layer"
        raise ValueError(
            "SaturationCallback: layer %r (%s) has no supported activation: %s. "
            "Received: layers=[..., %r, ...]"
            % (layer.name, type(layer).__name__, why, entry)
        )
    return path, layer


def _tags(paths):
    """A layer's name, or its full path where two layers share a name."""
    names = [path[-1] for path in paths]
    return [
        "/".join(path) if names.count(path[-1]) > 1 else path[-1] for path in paths
    ]


def glorot_std(shape):
    """sqrt(2 / (fan_in + fan_out)) of a kernel, with Keras' fans.

    Dense [in, out]: fan_in = in, fan_out = out. Conv [k..., in, out]:
    fan_in = prod(k) * in, fan_out = prod(k) * out.
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) < 2:
        return float("nan")
    receptive = math.prod(shape[:-2])
    fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
    return math.sqrt(2.0 / (fan_in + fan_out))


def custom_train_step(model):
    """True when `model`'s class (not Keras) defines `train_step`."""
    return _defined_outside_keras(type(model), "train_step")


def has_call(model):
    """False for a subclassed model that defines no `call` (it trains with its own `train_step`)."""
    return type(model).call is not keras.Model.call


def _defined_outside_keras(cls, name):
    for klass in cls.__mro__:
        if name in vars(klass):
            return not klass.__module__.split(".")[0] in ("keras", "tf_keras")
    return False


def submodels(model):
    """The models `model` holds directly, in attribute order."""
    return [layer for layer in _children(model) if isinstance(layer, _keras.Model)]


def submodel_plan(model, probe_data):
    """[(name, sub-model)] to probe for a model without `call`, and their probe dict.

    `probe_data` is either a dict {sub-model name: batch}, which probes each
    named sub-model, or one batch, which probes the first sub-model whose
    input shape fits it.

    Raises:
      ValueError: no sub-model, a name that is no sub-model, or no sub-model
        that takes `probe_data`; the message says what to pass.
    """
    subs = submodels(model)
    described = ", ".join("%r (input %s)" % (s.name, _input_shapes(s)) for s in subs)
    if not subs:
        raise ValueError(
            "SaturationCallback: model %r defines no call() and holds no sub-model, so "
            "there is no forward pass to probe. Define call(), or hold the networks as "
            "keras.Model attributes (self.encoder = ...)." % model.name
        )
    by_name = {s.name: s for s in subs}
    if isinstance(probe_data, dict) and probe_data and all(k in by_name for k in probe_data):
        return [(name, by_name[name]) for name in probe_data], dict(probe_data)
    if isinstance(probe_data, dict) and not any(_fits(s, probe_data) for s in subs):
        unknown = sorted(str(k) for k in probe_data if k not in by_name)
        raise ValueError(
            "SaturationCallback: model %r defines no call(); its sub-models are probed. "
            "probe_data keys %s name no sub-model; sub-models: %s." % (model.name, unknown, described)
        )
    for sub in subs:
        if _fits(sub, probe_data):
            return [(sub.name, sub)], {sub.name: probe_data}
    raise ValueError(
        "SaturationCallback: model %r defines no call() (it trains with its own "
        "train_step), so its sub-models are probed, and none takes probe_data of shape "
        "%s. Sub-models: %s. Pass a batch that fits one of them, or one per sub-model: "
        "probe_data={%s}."
        % (model.name, _data_shapes(probe_data), described,
           ", ".join("%r: ..." % s.name for s in subs))
    )


def _input_shapes(model):
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return "unknown"
    shapes = [tuple(t.shape) for t in keras.tree.flatten(inputs)]
    return shapes[0] if len(shapes) == 1 else shapes


def _data_shapes(data):
    shapes = [tuple(getattr(leaf, "shape", ())) for leaf in keras.tree.flatten(data)]
    return shapes[0] if len(shapes) == 1 else shapes


def _fits(model, data):
    """Whether `data`'s arrays match the shapes of `model`'s symbolic inputs (None matches any)."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return False
    wanted = [tuple(t.shape) for t in keras.tree.flatten(inputs)]
    given = [tuple(getattr(leaf, "shape", ())) for leaf in keras.tree.flatten(data)]
    if len(wanted) != len(given):
        return False
    return all(
        len(w) == len(g) and all(a is None or a == b for a, b in zip(w[1:], g[1:]))
        for w, g in zip(wanted, given)
    )


# Layers that take categories (strings or integer ids), not scales.
_CATEGORICAL_LAYERS = (
    keras.layers.StringLookup,
    keras.layers.IntegerLookup,
    keras.layers.Hashing,
    keras.layers.CategoryEncoding,
    keras.layers.TextVectorization,
    keras.layers.Embedding,
)


def numeric_features(model, probe_data):
    """Names of the numeric features of a structured probe (a dict or list of arrays).

    A feature is numeric when it is a float array, or an integer array that
    no categorical layer (`StringLookup`, `IntegerLookup`, `Hashing`,
    `CategoryEncoding`, `TextVectorization`, `Embedding`) of a Functional
    model takes directly. Strings never are. Names are the dict keys or list
    positions ("age", "0"). None for a single array.
    """
    leaves = keras.tree.flatten_with_path(probe_data)
    if len(leaves) == 1 and not leaves[0][0]:
        return None
    categorical = _categorical_input_paths(model)
    names = []
    for path, leaf in leaves:
        kind = getattr(getattr(leaf, "dtype", None), "kind", None) or _dtype_kind(leaf)
        if kind == "f" or (kind in "iub" and tuple(path) not in categorical):
            names.append("/".join(str(p) for p in path))
    return names


def _dtype_kind(leaf):
    try:
        return np.asarray(leaf).dtype.kind
    except Exception:  # pylint: disable=broad-except
        return "O"


def _categorical_input_paths(model):
    structure = getattr(model, "_inputs_struct", None)
    if structure is None:
        return set()
    by_id = {id(tensor): tuple(path) for path, tensor in keras.tree.flatten_with_path(structure)}
    found = set()
    for _, layer in walk(model):
        if not isinstance(layer, _CATEGORICAL_LAYERS):
            continue
        for node in getattr(layer, "_inbound_nodes", []):
            for tensor in node.input_tensors:
                if id(tensor) in by_id:
                    found.add(by_id[id(tensor)])
    return found
