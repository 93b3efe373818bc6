"""Which layers of a Keras model `SaturationCallback` logs, and under which tags.

`find_targets` walks a Keras model and picks the layers whose output is a
supported activation (`activations.py`); `walk` is the traversal, `_tags` the
naming, `glorot_std` the reference scale of a kernel. Nothing here runs the
model.
"""

import collections
import math

import keras

from tensorboard_plugin_saturation import activations as activations_lib

Target = collections.namedtuple("Target", ["layer", "tag", "activation", "index"])
Target.__doc__ = """One logged layer: the Keras layer, its tag, its `Activation`, its position."""

# Layers whose output is `activation(...)` of their own computation. Recurrent
# layers also have an `activation`, but their output is not its output.
_LAYERS_WITH_ACTIVATION = (
    keras.layers.Dense,
    keras.layers.EinsumDense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    keras.layers.SeparableConv1D,
    keras.layers.SeparableConv2D,
    keras.layers.DepthwiseConv1D,
    keras.layers.DepthwiseConv2D,
    keras.layers.Activation,
)


def _activation_functions():
    """Maps every function object we recognise to its activation name."""
    modules = [keras.activations, keras.ops]
    try:  # TensorFlow's own functions, when a model uses them directly
        import tensorflow as tf  # pylint: disable=import-outside-toplevel

        modules += [tf.nn, tf.math]
    except ImportError:
        pass
    functions = {}
    for name in activations_lib.ACTIVATIONS:
        for module in modules:
            function = getattr(module, name, None)
            if function is not None:
                functions[function] = name
    return functions


_FUNCTIONS = _activation_functions()


def activation_name(layer):
    """Returns "sigmoid", "tanh" or "relu" if `layer`'s output is one, else None."""
    if isinstance(layer, keras.layers.ReLU):
        plain = (
            layer.max_value is None
            and float(layer.negative_slope) == 0.0
            and float(layer.threshold) == 0.0
        )
        return "relu" if plain else None
    if isinstance(layer, _LAYERS_WITH_ACTIVATION):
        try:
            return _FUNCTIONS.get(layer.activation)
        except TypeError:  # an unhashable callable object
            return None
    return None


def walk(model):
    """Yields (path, layer) for every layer of `model` in network order.

    Recurses into nested `keras.Model`s (Sequential, Functional or subclassed);
    `path` is the tuple of names from the top model's child down. Each layer
    object is yielded once, where it is first met.
    """
    seen = set()

    def visit(container, prefix):
        for layer in container.layers:
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            path = prefix + (layer.name,)
            yield path, layer
            if isinstance(layer, keras.Model):
                yield from visit(layer, path)

    yield from visit(model, ())


def find_targets(model, layers=None):
    """Returns the `Target`s to log for `model`, in network order.

    Args:
      model: A built Keras model.
      layers: None to log every layer whose activation is supported, else a
        sequence of layer names (searched in `model` and its nested models) or
        layer objects.

    Raises:
      ValueError: A name matches no layer, or a given layer's activation is not
        sigmoid, tanh or relu.
    """
    found = list(walk(model))
    if layers is None:
        chosen = [(path, layer) for path, layer in found if activation_name(layer)]
    else:
        chosen = [_resolve(model, found, entry) for entry in layers]
    unique = []
    for path, layer in chosen:
        if all(layer is not other for _, other in unique):
            unique.append((path, layer))
    position = {id(layer): i for i, (_, layer) in enumerate(found)}
    unique.sort(key=lambda item: position.get(id(item[1]), len(found)))
    tags = _tags([path for path, _ in unique])
    return [
        Target(layer, tag, activations_lib.get(activation_name(layer)), index)
        for index, (tag, (_, layer)) in enumerate(zip(tags, unique))
    ]


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
    if activation_name(layer) is None:
        raise ValueError(
            "SaturationCallback: layer %r (%s) has no supported activation; its "
            "output must be sigmoid, tanh or relu. Received: layers=[..., %r, ...]"
            % (layer.name, type(layer).__name__, entry)
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
